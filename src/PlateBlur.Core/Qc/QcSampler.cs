using System.Security.Cryptography;
using System.Text;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using SkiaSharp;

namespace PlateBlur.Core.Qc;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>Quality control on an output: re-detect sampled frames at a lower threshold; any plate found outside the masks is a residual and fails QC.</summary>
public static class QcSampler
{
    /// <summary>The QC re-detector: the pipeline's plate model on every tile of a frame, at the QC threshold.</summary>
    /// <param name="threshold">Another threshold than the QC threshold (a sweep scans once at a low one and compares scores).</param>
    public static FrameScanner Scanner(FrameScanner pipeline, PlateBlurOptions options, float? threshold = null) =>
        // Without the coarse pass: its large boxes on a masked frame (a blurred patch, a sign) are false alarms far more often than a
        // leaked close plate, and each one sends the whole output to quarantine. Close plates are still re-checked by the whole-frame pass.
        new(pipeline.Plates, options.ScanOptions() with { Threshold = threshold ?? options.EffectiveQcThreshold, TileEvery = 1, CoarseSide = 0 });

    /// <summary>QC's re-detection on every frame of a video: per frame, the detections QC would call residual (outside the grown masks and
    /// reviewed drops of <paramref name="report"/>, at least <see cref="MinResidualWidth"/> wide) with their scores. Without a report, every
    /// detection at least that wide.
    /// For measuring QC (eval-video --qc-sweep), not for the pipeline, which samples K frames.</summary>
    public static async Task<Dictionary<int, List<Detection>>> ResidualsEveryFrameAsync(string video, AnonymizationReport? report, FrameScanner scanner, CancellationToken ct = default)
    {
        var info = await MediaProbe.ProbeAsync(video, ct);
        var v = info.RequireVideo();
        var timeline = await FrameTimeline.ScanAsync(video, v, ct);
        var masks = new FrameMasksOf(report);
        var result = new Dictionary<int, List<Detection>>();
        int index = 0;
        await foreach (var frame in FrameReader.ReadAsync(video, v, timeline, 0, timeline.FrameCount, ct))
        {
            using (frame) result[index] = masks.Residuals(scanner, frame, v.Rotation, index);
            index++;
        }
        return result;
    }

    /// <summary>A report's masks by frame, and the masks of tracks a reviewer dropped (edits): judged not to be plates, so a detection there
    /// is not a residual plate either. One place for what QC compares its detections with, sampled or on every frame.</summary>
    private sealed class FrameMasksOf(AnonymizationReport? report)
    {
        private readonly Dictionary<long, List<BoxF>> _masks = ByFrame(report?.Frames);
        private readonly Dictionary<long, List<BoxF>> _reviewed = ByFrame(report?.Edits?.DroppedMasks);

        private static Dictionary<long, List<BoxF>> ByFrame(IEnumerable<FrameMasks>? frames) =>
            (frames ?? []).ToDictionary(f => f.Index, f => f.Boxes.Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList());

        public List<BoxF> Masks(long index) => _masks.GetValueOrDefault(index) ?? [];

        /// <summary>QC's detections on one frame that no mask (or reviewed drop) accounts for.</summary>
        public List<Detection> Residuals(FrameScanner scanner, YuvFrame frame, int rotation, long index) =>
            Residual(Anonymization.SegmentProcessor.Detect(scanner, frame, rotation, allTiles: true), [.. Masks(index), .. _reviewed.GetValueOrDefault(index) ?? []]);
    }

    /// <summary>K frames spread over the whole file (one in each of K equal strata), chosen by a seed so a run can be repeated.</summary>
    public static List<int> SampleIndices(int frameCount, int k, string seed)
    {
        k = Math.Clamp(k, 1, Math.Max(1, frameCount));
        var rng = new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(seed)), 0));
        var list = new List<int>(k);
        for (int i = 0; i < k; i++)
        {
            int a = (int)((long)frameCount * i / k), b = (int)((long)frameCount * (i + 1) / k);
            list.Add(a + rng.Next(Math.Max(1, b - a)));
        }
        return list;
    }

    /// <summary>Plates smaller than this are not legible as plates and are not counted as residual.</summary>
    public const float MinResidualWidth = 8;

    /// <summary>Detections not at least half inside a mask grown by a quarter of its size: plates the pipeline left visible.
    /// The margin absorbs "ghost" detections on the rim of a blurred plate, which the blur itself can look like.</summary>
    public static List<Detection> Residual(IEnumerable<Detection> found, IReadOnlyList<BoxF> masks)
    {
        var grown = masks.Select(m => m.Pad(0.25f)).ToList();
        return found.Where(d => d.Box.W >= MinResidualWidth && grown.Sum(m => m.IntersectionArea(d.Box)) < 0.5f * d.Box.Area).ToList();
    }

    /// <summary>Checks sampled frames of a video output against its report's masks and draws the contact sheet.</summary>
    public static async Task<QcReport> CheckVideoAsync(string output, AnonymizationReport report, FrameScanner scanner, int samples, string seed, string sheetPath, CancellationToken ct = default)
    {
        var info = await MediaProbe.ProbeAsync(output, ct);
        var video = info.RequireVideo();
        var timeline = await FrameTimeline.ScanAsync(output, video, ct);
        var frameMasks = new FrameMasksOf(report);
        var results = new List<QcSampleResult>();
        var cells = new List<(SKBitmap, string)>();
        try
        {
            foreach (int index in SampleIndices(timeline.FrameCount, samples, seed))
            {
                await foreach (var frame in FrameReader.ReadAsync(output, video, timeline, index, index + 1, ct))
                {
                    using (frame)
                    {
                        var masks = frameMasks.Masks(index);
                        var residual = frameMasks.Residuals(scanner, frame, video.Rotation, index);
                        results.Add(new QcSampleResult(index, frame.PtsNs / 1e9, residual.Select(Record).ToList()));
                        cells.Add((Thumbnail(new YuvImageSource(frame), masks, residual), Caption(index, frame.PtsNs / 1e9, residual.Count)));
                    }
                }
            }
            return Finish(results, scanner.Options.Threshold, cells, sheetPath, Path.GetFileName(output));
        }
        finally
        {
            foreach (var (b, _) in cells) b.Dispose();
        }
    }

    /// <summary>Checks a photo output (one sample: the photo itself).</summary>
    public static QcReport CheckPhoto(string output, AnonymizationReport report, FrameScanner scanner, string sheetPath)
    {
        var photo = Photo.Load(output);
        var image = new RgbaImageSource(photo.Rgba, photo.Width, photo.Height);
        var masks = report.Frames.SelectMany(f => f.Boxes).Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList();
        var reviewed = (report.Edits?.DroppedMasks ?? []).SelectMany(f => f.Boxes).Select(b => new BoxF(b.X, b.Y, b.W, b.H));
        var residual = Residual(scanner.Scan(image), [.. masks, .. reviewed]);
        using var thumb = Thumbnail(image, masks, residual);
        return Finish([new QcSampleResult(0, 0, residual.Select(Record).ToList())], scanner.Options.Threshold, [(thumb, Caption(0, 0, residual.Count))], sheetPath, Path.GetFileName(output));
    }

    private static QcReport Finish(List<QcSampleResult> results, float threshold, List<(SKBitmap, string)> cells, string sheetPath, string name)
    {
        int residual = results.Sum(r => r.Residual.Count);
        bool passed = residual == 0;
        Sheets.Sheet(sheetPath, $"QC {name}: {(passed ? "PASSED" : $"FAILED, {residual} residual detection(s)")} on {results.Count} sampled frames at threshold {threshold:0.###} (blue: masks, red: residual)", cells, 4, 300);
        return new QcReport(passed, results.Count, threshold, results, Path.GetFileName(sheetPath));
    }

    private static string Caption(long index, double time, int residual) => $"frame {index} @ {time:0.00}s: " + (residual == 0 ? "ok" : $"{residual} RESIDUAL");

    private static MaskRecord Record(Detection d) => new(MathF.Round(d.Box.X, 1), MathF.Round(d.Box.Y, 1), MathF.Round(d.Box.W, 1), MathF.Round(d.Box.H, 1), 0, $"residual {d.Score:0.00}");

    /// <summary>A 480-pixel-wide picture of the frame with masks and residual detections drawn.</summary>
    public static SKBitmap Thumbnail(IImageSource image, IReadOnlyList<BoxF> masks, IReadOnlyList<Detection> residual, int width = 480)
    {
        int height = Math.Max(1, (int)Math.Round(image.Height * (double)width / image.Width));
        var rgb = new byte[width * height * 3];
        image.ResizeToRgb(new BoxF(0, 0, image.Width, image.Height), width, height, rgb);
        var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var px = bmp.GetPixelSpan();
        for (int i = 0; i < width * height; i++) { px[i * 4] = rgb[i * 3]; px[i * 4 + 1] = rgb[i * 3 + 1]; px[i * 4 + 2] = rgb[i * 3 + 2]; px[i * 4 + 3] = 255; }
        using var c = new SKCanvas(bmp);
        float s = (float)width / image.Width;
        using var blue = new SKPaint { Color = new SKColor(0x21, 0x96, 0xf3), Style = SKPaintStyle.Stroke, StrokeWidth = 2 };
        using var red = new SKPaint { Color = SKColors.Red, Style = SKPaintStyle.Stroke, StrokeWidth = 3 };
        foreach (var m in masks) c.DrawRect(m.X * s, m.Y * s, m.W * s, m.H * s, blue);
        foreach (var d in residual) c.DrawRect(d.Box.X * s, d.Box.Y * s, d.Box.W * s, d.Box.H * s, red);
        return bmp;
    }
}
