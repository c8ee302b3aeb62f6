using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Evaluation;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;

namespace PlateBlur.Testing;

/// <summary>Picture detail measured on decoded frames: how much of a region's fine structure a render kept (blurred regions keep little).</summary>
public static class Detail
{
    /// <summary>The luma planes of the given frames of a video, by frame index.</summary>
    public static async Task<Dictionary<long, (byte[] Y, int Width, int Height)>> LumaAsync(string path, IEnumerable<long> frames)
    {
        var wanted = frames.ToHashSet();
        var info = await MediaProbe.ProbeAsync(path);
        var video = info.RequireVideo();
        var timeline = await FrameTimeline.ScanAsync(path, video);
        var result = new Dictionary<long, (byte[], int, int)>();
        await foreach (var f in FrameReader.ReadAsync(path, video, timeline, (int)wanted.Min(), (int)wanted.Max() + 1))
            using (f)
                if (wanted.Contains(f.Index)) result[f.Index] = (f.Y.ToArray(), f.Width, f.Height);
        return result;
    }

    /// <summary>Sum of squared Laplacian of luma inside a box (the detail that makes text or faces readable).</summary>
    public static double Energy((byte[] Y, int Width, int Height) luma, BoxF box)
    {
        var (y, w, h) = luma;
        int x0 = Math.Max(1, (int)Math.Ceiling(box.X)), y0 = Math.Max(1, (int)Math.Ceiling(box.Y));
        int x1 = Math.Min(w - 1, (int)box.Right), y1 = Math.Min(h - 1, (int)box.Bottom);
        double e = 0;
        for (int r = y0; r < y1; r++)
            for (int c = x0; c < x1; c++)
            {
                int p = r * w + c;
                double lap = 4 * y[p] - y[p - 1] - y[p + 1] - y[p - w] - y[p + w];
                e += lap * lap;
            }
        return e;
    }

    /// <summary>The share of the source's detail an output kept inside a box (1 = untouched, near 0 = blurred away).</summary>
    public static double Kept((byte[] Y, int Width, int Height) source, (byte[] Y, int Width, int Height) output, BoxF box) =>
        Energy(output, box) / Math.Max(1, Energy(source, box));

    /// <summary>Mask boxes by frame from a report, optionally only those matching <paramref name="keep"/>.</summary>
    public static Dictionary<long, List<BoxF>> Masks(AnonymizationReport r, Func<MaskRecord, bool>? keep = null) =>
        r.Frames.ToDictionary(f => f.Index, f => f.Boxes.Where(b => keep?.Invoke(b) ?? true).Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList());

    /// <summary>The track of a first render that is most surely a false positive: the one with most masks whose boxes never cover an
    /// annotated plate of the clip (tests/annotations), or null.</summary>
    public static int? FalsePositiveTrack(AnonymizationReport r, string annotations)
    {
        var truth = VideoEvaluator.ReadBoxes(annotations).GroupBy(t => (long)t.Frame).ToDictionary(g => g.Key, g => g.Select(t => t.Box).ToList());
        return r.Frames.SelectMany(f => f.Boxes.Where(b => b.Track > 0).Select(b => (f.Index, b)))
            .GroupBy(x => x.b.Track)
            .Where(g => g.All(x => !(truth.GetValueOrDefault(x.Index) ?? []).Any(t => t.IntersectionArea(new BoxF(x.b.X, x.b.Y, x.b.W, x.b.H)) > 0)))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => (int?)g.Key).FirstOrDefault();
    }

    /// <summary>An edits file with one region and dropped tracks.</summary>
    public static string EditsJson(string id, string cls, long key, BoxF box, long from, long to, params int[] drop) =>
        new EditsDocument
        {
            SchemaName = EditsDocument.Schema,
            Regions = [new RegionEdit { Id = id, Class = cls, Span = new SpanEdit { FromFrame = from, ToFrame = to }, Keys = [new KeyEdit { Frame = key, Box = [box.X, box.Y, box.W, box.H] }] }],
            DropTracks = [.. drop],
        }.ToJson();
}
