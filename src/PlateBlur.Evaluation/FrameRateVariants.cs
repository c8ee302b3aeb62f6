using System.Globalization;
using PlateBlur.Core.Media;

namespace PlateBlur.Evaluation;

/// <summary>One way to score an annotated clip: at its own rate (<see cref="Step"/> 1) or keeping every <see cref="Step"/>-th frame.</summary>
/// <param name="Spec">As written on the command line: "native", a target rate such as "10" (the step is chosen per clip), or "every3".</param>
/// <param name="TargetFps">For a target-rate variant, the rate the step is chosen for; null for "native" and "everyN".</param>
/// <param name="FixedStep">For "everyN", N; null otherwise.</param>
public sealed record RateVariant(string Spec, double? TargetFps, int? FixedStep)
{
    public bool IsNative => TargetFps == null && FixedStep is null or 1;

    /// <summary>The step for a clip whose real frame rate is <paramref name="fps"/>: frames are kept at indices 0, k, 2k, …</summary>
    public int Step(double fps) => FixedStep ?? (TargetFps is { } t && fps > 0 ? Math.Max(1, (int)Math.Round(fps / t)) : 1);

    /// <summary>Parses "native,10,every3" (comma-separated).</summary>
    public static IReadOnlyList<RateVariant> ParseList(string text)
    {
        var list = new List<RateVariant>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var s = raw.ToLowerInvariant();
            if (s is "native" or "1x" or "every1") list.Add(new RateVariant("native", null, null));
            else if (s.StartsWith("every", StringComparison.Ordinal) && int.TryParse(s[5..], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1)
                list.Add(new RateVariant(s, null, k));
            else if (double.TryParse(s.TrimEnd('f', 'p', 's'), NumberStyles.Float, CultureInfo.InvariantCulture, out double fps) && fps > 0)
                list.Add(new RateVariant(s.TrimEnd('f', 'p', 's') + "fps", fps, null));
            else throw new FormatException($"--rates: '{raw}' is not 'native', a frame rate such as '10', or 'everyN'.");
        }
        if (list.Count == 0) throw new FormatException("--rates: give at least one variant, e.g. 'native,10'.");
        return list;
    }
}

/// <summary>Resampled copies of annotated clips: every k-th frame with its exact timestamp, and the labels mapped to the kept frames.</summary>
public static class FrameRateResampler
{
    /// <summary>"2nd", "3rd", "4th", "11th", "22nd": how the messages name the step.</summary>
    public static string Ordinal(int n) => n + ((n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    /// <summary>The real average frame rate of a stream from its frame times (frames per second between the first and last frame).</summary>
    public static double AverageFps(IReadOnlyList<long> ptsNs) =>
        ptsNs.Count < 2 || ptsNs[^1] <= ptsNs[0] ? 0 : (ptsNs.Count - 1) * 1e9 / (ptsNs[^1] - ptsNs[0]);

    /// <summary>Boxes of frames 0, k, 2k, … renumbered to 0, 1, 2, …; boxes of dropped frames are left out. Plate ids are kept.</summary>
    public static List<TruthBox> Resample(IEnumerable<TruthBox> boxes, int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return boxes.Where(b => b.Frame % step == 0).Select(b => b with { Frame = b.Frame / step }).ToList();
    }

    /// <summary>The kept frame count of a clip of <paramref name="frames"/> frames.</summary>
    public static int KeptFrames(int frames, int step) => (frames + step - 1) / step;

    /// <summary>Writes every <paramref name="step"/>-th frame of <paramref name="source"/> (from frame 0, presentation order) to
    /// <paramref name="output"/>, losslessly re-encoded, each kept frame with its source timestamp (no frame duplicated or dropped
    /// to make a constant rate). Audio and other streams are left out.</summary>
    public static async Task WriteAsync(string source, string output, int step, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        string args = string.Create(CultureInfo.InvariantCulture,
            $"-y -i \"{source}\" -map 0:v:0 -an -sn -dn -vf \"select='not(mod(n\\,{step}))'\" -fps_mode passthrough -c:v libx264 -preset veryfast -qp 0 \"{output}\"");
        await using var ffmpeg = new FfmpegProcess(args, stdin: false, stdout: false);
        int code = await ffmpeg.WaitAsync(ct);
        if (code != 0) throw new MediaException(MediaError.Corrupt, $"{Path.GetFileName(source)}: could not keep every {Ordinal(step)} frame ({ffmpeg.LastError}).");
    }
}
