using PlateBlur.Core.Detection;
using PlateBlur.Core.Qc;

namespace PlateBlur.Evaluation;

/// <summary>What QC's threshold trades on one scored clip (eval-video --qc-sweep): QC's re-detection run on every frame of the output
/// (false residuals: not on a plate) and of the source with nothing masked (how many plate-frames QC would see at all).</summary>
public sealed record QcSweep(string Clip, int Frames, int PlateFrames, int Samples, IReadOnlyList<QcSweepRow> Rows)
{
    /// <summary>The thresholds a sweep reports; QC scans once at the lowest.</summary>
    public static readonly float[] Thresholds = [0.3f, 0.4f, 0.5f, 0.6f, 0.7f];

    /// <param name="onOutput">Per frame, QC's residuals on the anonymized output (scores from the lowest threshold up).</param>
    /// <param name="onSource">Per frame, every QC detection on the source (nothing masked).</param>
    /// <param name="samples">Frames QC samples per file (PlateBlurOptions.QcSamples).</param>
    public static QcSweep Of(string clip, int frames, IReadOnlyList<TruthBox> truth, IReadOnlyDictionary<int, List<Detection>> onOutput,
        IReadOnlyDictionary<int, List<Detection>> onSource, int samples)
    {
        // Plates QC can call residual at all: at least MinResidualWidth wide.
        var plates = truth.Where(t => t.Box.W >= QcSampler.MinResidualWidth).ToList();
        var byFrame = truth.GroupBy(t => t.Frame).ToDictionary(g => g.Key, g => g.Select(t => t.Box).ToList());
        var rows = new List<QcSweepRow>();
        foreach (float th in Thresholds)
        {
            int seen = plates.Count(p => (onSource.GetValueOrDefault(p.Frame) ?? []).Any(d => d.Score >= th && OnPlate(d.Box, p.Box)));
            int falseFrames = 0, caughtFrames = 0;
            foreach (var (frame, found) in onOutput)
            {
                var here = byFrame.GetValueOrDefault(frame) ?? [];
                var strong = found.Where(d => d.Score >= th).ToList();
                if (strong.Any(d => !here.Any(b => OnPlate(d.Box, b)))) falseFrames++;
                if (strong.Any(d => here.Any(b => OnPlate(d.Box, b)))) caughtFrames++;
            }
            double failChance = frames == 0 ? 0 : 1 - Math.Pow(1 - (double)falseFrames / frames, Math.Min(samples, frames));
            rows.Add(new QcSweepRow(th, seen, plates.Count == 0 ? 0 : (double)seen / plates.Count, falseFrames, caughtFrames, failChance));
        }
        return new QcSweep(clip, frames, plates.Count, samples, rows);
    }

    /// <summary>A detection is on a plate when they share at least 30 % of the smaller box.</summary>
    public static bool OnPlate(BoxF d, BoxF plate) => d.IntersectionArea(plate) >= 0.3f * Math.Min(d.Area, plate.Area);

    public static string Table(IReadOnlyList<QcSweep> sweeps)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            "| clip | QC threshold | plate-frames QC sees with nothing masked | frames with a false residual on the output | frames where QC finds a leaked plate | chance a K-sample QC fails the output for nothing |",
            "|---|---|---|---|---|---|",
        };
        foreach (var s in sweeps)
            foreach (var r in s.Rows)
                lines.Add(string.Format(inv, "| {0} | {1:0.0} | {2:0.0} % ({3} of {4}) | {5} of {6} | {7} | {8:0} % (K = {9}) |",
                    s.Clip, r.Threshold, 100 * r.SeenShare, r.Seen, s.PlateFrames, r.FalseFrames, s.Frames, r.CaughtFrames, 100 * r.FailChance, s.Samples));
        return string.Join("\n", lines);
    }
}

public sealed record QcSweepRow(float Threshold, int Seen, double SeenShare, int FalseFrames, int CaughtFrames, double FailChance);
