using System.Diagnostics;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Evaluation;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>One evaluated photo: its truth, every pass's raw detections down to the sweep threshold, and timings.</summary>
/// <param name="QcResidual">Detections the pipeline's QC check finds on the masked photo outside the masks (-1: not checked).</param>
public sealed record ImageResult(string Image, int Width, int Height, IReadOnlyList<BoxF> Truth, IReadOnlyList<Detection> Raw, double DetectMs, double EndToEndMs, int QcResidual = -1);

/// <summary>The photo table: detection recall, coverage recall, precision and speed at one threshold.</summary>
public sealed record PhotoMetrics(
    float Threshold, int Images, int Plates, int Detections, int Matched, int Covered,
    double Recall, double CoverageRecall, double Precision, double FalseNegativeRate, double MeanIou,
    double FalsePositivesPerImage, double DetectMsPerImage, double EndToEndMsPerImage);

/// <summary>Runs exactly the detection and masking of anonymize on annotated photos and scores them.</summary>
public static class PhotoEvaluator
{
    public const float SweepMinimum = 0.05f;

    /// <param name="qc">When given, the masked photo is searched again as the pipeline's QC step does (this scanner, at the QC
    /// threshold), and detections outside the masks are counted: how often QC would send a photo to quarantine.</param>
    public static List<ImageResult> Run(IReadOnlyList<AnnotatedImage> images, FrameScanner scanner, PlateBlurOptions options, IProgress<int>? progress = null,
        FrameScanner? qc = null)
    {
        var results = new List<ImageResult>(images.Count);
        var redaction = options.RedactionOptions();
        float sweep = Math.Min(SweepMinimum, options.EffectiveThreshold);
        foreach (var (item, i) in images.Select((x, i) => (x, i)))
        {
            var total = Stopwatch.StartNew();
            var photo = Photo.Load(item.Image);
            var clock = Stopwatch.StartNew();
            var raw = scanner.ScanRaw(new RgbaImageSource(photo.Rgba, photo.Width, photo.Height), -1, sweep, photo: true);
            double detect = clock.Elapsed.TotalMilliseconds;
            // The rest of what anonymize does to a photo: merge at the real threshold, mask, encode.
            var found = At(raw, options.EffectiveThreshold);
            Redactor.Apply(photo.Rgba, photo.Width, photo.Height, found.Select((d, k) => new MaskBox(d.Box, k, MaskKind.Detected, d.Corners)), redaction);
            photo.Encode(Stream.Null, photo.Format);
            double endToEnd = total.Elapsed.TotalMilliseconds;
            int residual = -1;
            if (qc != null)
            {
                var covered = found.Select(d => Redactor.Covered(d.Box, redaction, photo.Width, photo.Height)).ToList();
                residual = Core.Qc.QcSampler.Residual(qc.Scan(new RgbaImageSource(photo.Rgba, photo.Width, photo.Height)), covered).Count;
            }
            results.Add(new ImageResult(item.Image, photo.Width, photo.Height, item.Plates, raw, detect, endToEnd, residual));
            progress?.Report(i + 1);
        }
        return results;
    }

    /// <summary>What the scanner returns at threshold <paramref name="t"/> (raw detections filtered, then merged).</summary>
    public static List<Detection> At(IReadOnlyList<Detection> raw, float t) => Nms.Merge(raw.Where(d => d.Score >= t));

    public static PhotoMetrics Score(IReadOnlyList<ImageResult> results, float threshold, RedactionOptions redaction)
    {
        int plates = 0, dets = 0, matched = 0, covered = 0;
        double iouSum = 0;
        foreach (var r in results)
        {
            var found = At(r.Raw, threshold);
            var boxes = found.Select(d => d.Box).ToList();
            var masks = boxes.Select(b => Redactor.Covered(b, redaction, r.Width, r.Height)).ToList();
            var match = Matcher.MatchGreedy(r.Truth, boxes, 0.5);
            plates += r.Truth.Count;
            dets += boxes.Count;
            for (int t = 0; t < r.Truth.Count; t++)
            {
                if (match[t] >= 0) { matched++; iouSum += r.Truth[t].Iou(boxes[match[t]]); }
                if (Matcher.Coverage(r.Truth[t], masks) >= Matcher.CoveredShare) covered++;
            }
        }
        int n = Math.Max(results.Count, 1);
        return new PhotoMetrics(threshold, results.Count, plates, dets, matched, covered,
            Ratio(matched, plates), Ratio(covered, plates), Ratio(matched, dets), 1 - Ratio(covered, plates), matched > 0 ? iouSum / matched : 0,
            (double)(dets - matched) / n, results.Sum(r => r.DetectMs) / n, results.Sum(r => r.EndToEndMs) / n);
    }

    /// <summary>Every labelled plate with the share of it the masks at <paramref name="threshold"/> cover, and the merged detection at that
    /// threshold that overlaps it most (null when none touches it).</summary>
    public static IEnumerable<(ImageResult Image, BoxF Truth, Detection? Best, double Coverage)> Plates(IReadOnlyList<ImageResult> results, float threshold, RedactionOptions redaction)
    {
        foreach (var r in results)
        {
            var found = At(r.Raw, threshold);
            var masks = found.Select(d => Redactor.Covered(d.Box, redaction, r.Width, r.Height)).ToList();
            foreach (var t in r.Truth)
                yield return (r, t, found.Where(d => d.Box.IntersectionArea(t) > 0).MaxBy(d => d.Box.Iou(t)), Matcher.Coverage(t, masks));
        }
    }

    /// <summary>Plates whose masks cover less than the required share, with the nearest detection at any sweep score.</summary>
    public static IEnumerable<(ImageResult Image, BoxF Truth, Detection? Nearest, double Coverage)> Missed(IReadOnlyList<ImageResult> results, float threshold, RedactionOptions redaction) =>
        Plates(results, threshold, redaction).Where(p => p.Coverage < Matcher.CoveredShare)
            .Select(p => (p.Image, p.Truth, p.Image.Raw.OrderByDescending(d => d.Box.Iou(p.Truth)).ThenBy(d => Distance(d.Box, p.Truth)).FirstOrDefault(), p.Coverage));

    private static double Distance(BoxF a, BoxF b) => Math.Sqrt(Math.Pow(a.CenterX - b.CenterX, 2) + Math.Pow(a.CenterY - b.CenterY, 2));

    private static double Ratio(int a, int b) => b == 0 ? 0 : (double)a / b;
}
