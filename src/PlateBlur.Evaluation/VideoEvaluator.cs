using System.Globalization;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Reports;

namespace PlateBlur.Evaluation;

/// <summary>How one annotated clip fared: plate-frames leaked (less than 90 % covered) and the longest leaked run per plate.</summary>
public sealed record ClipScore(
    string Clip, int Frames, int Plates, int PlateFrames, int Leaked, int LongestRun, IReadOnlyDictionary<int, int> LongestRunPerPlate,
    double MasksPerFrame, double Fps, IReadOnlyList<int> LeakedFrames, IReadOnlyList<int> PlateFrameIndexes, double MaskedAreaShare = 0,
    string Variant = "native", int Step = 1, int LongestRunTall = 0, int TallPlateFrames = 0, int LeakedTall = 0)
{
    /// <summary>Plates at least this many pixels tall: issue 12 allows no leaked run longer than 3 frames on them.</summary>
    public const float TallPlate = 10;

    public double LeakedShare => PlateFrames == 0 ? 0 : (double)Leaked / PlateFrames;

    /// <summary>Leaked share of the plate-frames whose plate is at least <see cref="TallPlate"/> px tall: plates a viewer could
    /// read. Leaks on plates 3–9 px tall swing with invisible changes (a visually lossless re-encode moves them several-fold,
    /// docs/results.md round 7), so this share is the steadier one to compare.</summary>
    public double LeakedTallShare => TallPlateFrames == 0 ? 0 : (double)LeakedTall / TallPlateFrames;
}

/// <summary>Scores anonymize reports against per-frame plate boxes, and reads and writes the box files ("frame x y w h [plate-id]").</summary>
public static class VideoEvaluator
{
    public static ClipScore Score(string clip, IReadOnlyList<TruthBox> truth, AnonymizationReport report)
    {
        var masks = report.Frames.ToDictionary(f => f.Index, f => f.Boxes.Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList());
        var leaked = new SortedSet<int>();
        var plateFrames = new SortedSet<int>();
        var perPlate = new Dictionary<int, SortedSet<int>>();
        var perPlateTall = new Dictionary<int, SortedSet<int>>();
        int leakedPlateFrames = 0, tallPlateFrames = 0, leakedTall = 0;
        foreach (var t in truth)
        {
            plateFrames.Add(t.Frame);
            bool tallPlate = t.Box.H >= ClipScore.TallPlate;
            if (tallPlate) tallPlateFrames++;
            var m = masks.GetValueOrDefault(t.Frame) ?? [];
            if (Matcher.Coverage(t.Box, m) >= Matcher.CoveredShare) continue;
            leakedPlateFrames++;
            leaked.Add(t.Frame);
            if (!perPlate.TryGetValue(t.PlateId, out var set)) perPlate[t.PlateId] = set = [];
            set.Add(t.Frame);
            if (tallPlate)
            {
                leakedTall++;
                if (!perPlateTall.TryGetValue(t.PlateId, out var tall)) perPlateTall[t.PlateId] = tall = [];
                tall.Add(t.Frame);
            }
        }
        var visible = truth.Select(t => t.PlateId).Distinct().ToList();
        var longest = visible.ToDictionary(id => id, id => LongestRun(perPlate.GetValueOrDefault(id) ?? []));
        long frames = report.Counts.Frames;
        double area = Math.Max(1.0, (double)report.Input.Width * report.Input.Height);
        double masked = report.Frames.Sum(f => Math.Min(1.0, f.Boxes.Sum(b => (double)b.W * b.H) / area));
        return new ClipScore(clip, (int)frames, visible.Count, truth.Count, leakedPlateFrames, longest.Values.DefaultIfEmpty(0).Max(), longest,
            frames == 0 ? 0 : (double)report.Counts.Masks / frames, frames / Math.Max(report.Timings.Total, 1e-9), leaked.ToList(), plateFrames.ToList(),
            frames == 0 ? 0 : masked / frames, LongestRunTall: perPlateTall.Values.Select(LongestRun).DefaultIfEmpty(0).Max(),
            TallPlateFrames: tallPlateFrames, LeakedTall: leakedTall);
    }

    /// <summary>Longest run of leaked frames with consecutive indices.</summary>
    private static int LongestRun(SortedSet<int> leakedFrames)
    {
        int best = 0, run = 0, prev = int.MinValue;
        foreach (var f in leakedFrames)
        {
            run = f == prev + 1 ? run + 1 : 1;
            best = Math.Max(best, run);
            prev = f;
        }
        return best;
    }

    public static List<TruthBox> ReadBoxes(string path)
    {
        var list = new List<TruthBox>();
        bool anyId = false;
        foreach (var (line, n) in File.ReadLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var f = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5) throw new InvalidDataException($"{path}:{n}: expected 'frame x y w h [plate-id]', got '{line}'.");
            float P(int i) => float.Parse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            anyId |= f.Length >= 6;
            list.Add(new TruthBox(int.Parse(f[0], CultureInfo.InvariantCulture), new BoxF(P(1), P(2), P(3), P(4)), f.Length >= 6 ? int.Parse(f[5], CultureInfo.InvariantCulture) : 0));
        }
        return anyId ? list : LinkIds(list);
    }

    /// <summary>Gives boxes without plate ids an id by linking them frame to frame (IoU of at least 0.2 with the previous frame's box).</summary>
    public static List<TruthBox> LinkIds(List<TruthBox> boxes)
    {
        var result = new List<TruthBox>();
        var last = new List<TruthBox>();
        int next = 1;
        foreach (var frame in boxes.GroupBy(b => b.Frame).OrderBy(g => g.Key))
        {
            var current = new List<TruthBox>();
            foreach (var b in frame)
            {
                var prev = last.Where(p => frame.Key - p.Frame <= 2 && !current.Any(c => c.PlateId == p.PlateId)).OrderByDescending(p => p.Box.Iou(b.Box)).FirstOrDefault();
                current.Add(b with { PlateId = prev != null && prev.Box.Iou(b.Box) >= 0.2 ? prev.PlateId : next++ });
            }
            result.AddRange(current);
            last = [.. last.Where(p => frame.Key - p.Frame < 2 && !current.Any(c => c.PlateId == p.PlateId)), .. current];
        }
        return result;
    }

    public static void WriteBoxes(string path, IEnumerable<TruthBox> boxes, string header)
    {
        var inv = CultureInfo.InvariantCulture;
        File.WriteAllLines(path, new[] { "# " + header, "# frame x y w h plate-id" }
            .Concat(boxes.Select(b => string.Format(inv, "{0} {1:0.#} {2:0.#} {3:0.#} {4:0.#} {5}", b.Frame, b.Box.X, b.Box.Y, b.Box.W, b.Box.H, b.PlateId))));
    }
}
