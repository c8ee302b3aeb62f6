using System.Diagnostics;
using System.Globalization;
using FFMpegCore;
using FFMpegCore.Enums;
using PlateBlur.Cli.Commands;
using PlateBlur.Core;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;

namespace PlateBlur.Cli.Bench;

/// <summary>One timed run of a command: wall seconds, CPU seconds of it and its children.</summary>
public sealed record Timed(double WallSeconds, double CpuSeconds);

/// <summary>Medians of several runs of the plain re-encode and of anonymize on one clip.</summary>
public sealed record BenchResult(
    string Clip, int Width, int Height, long Frames, double Seconds,
    double PlainWall, double PlainCpu, double AnonWall, double AnonCpu, double PeakMemoryMb,
    StageTimings Stages, long Inferences, long Masks, int Runs)
{
    public double PlainFps => Frames / PlainWall;
    public double AnonFps => Frames / AnonWall;
    public double Ratio => PlainWall / AnonWall;
}

/// <summary>Times a plain ffmpeg re-encode and the full anonymize run on the same clip, in the same session.</summary>
public static class BenchRunner
{
    /// <summary>Makes a test clip with motion, detail and a tone, at a given size.</summary>
    public static string MakeClip(string folder, int width, int height, int seconds)
    {
        string path = Path.Combine(folder, $"testsrc2_{width}x{height}_{seconds}s.mp4");
        if (File.Exists(path)) return path;
        Run("ffmpeg", $"-hide_banner -loglevel error -y -f lavfi -i testsrc2=s={width}x{height}:r=30:d={seconds} -f lavfi -i sine=f=440:d={seconds} " +
                      $"-c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -c:a aac -shortest \"{path}\"");
        return path;
    }

    public static async Task<BenchResult> MeasureAsync(string clip, PlateBlurOptions options, int runs, string work, Action<string> log)
    {
        var info = await MediaProbe.ProbeAsync(clip);
        var video = info.RequireVideo();
        var timeline = await FrameTimeline.ScanAsync(clip, video);
        var encode = new EncodeSettings(OutputPlan.For(clip, info, options.Codec).VideoEncoder, options.Crf, options.Preset);
        var plain = new List<Timed>();
        var anon = new List<(Timed T, AnonymizationReport R)>();
        string plainOut = Path.Combine(work, "plain.mp4"), anonOut = Path.Combine(work, "anonymized" + Path.GetExtension(clip));
        // The baseline: the same encoder settings on the video alone, from the same guarded input.
        string plainArguments = FFMpegArguments
            .FromFileInput(Path.GetFullPath(clip), false, o => o.WithCustomArgument(MediaGuard.InputArguments(clip)))
            .OutputToFile(plainOut, true, o => encode.Apply(o.WithMap(0, StreamType.Video, 0)).DisableAudio().ForceFormat("mp4"))
            .Arguments;
        for (int i = 0; i < runs; i++)
        {
            plain.Add(Run("ffmpeg", "-hide_banner -loglevel error " + plainArguments));
            log($"  run {i + 1}/{runs}: plain re-encode {plain[^1].WallSeconds:0.00} s");
            var args = new List<string> { SelfDll(), "anonymize", clip, "-o", anonOut, "--overwrite", "--quiet" };
            args.AddRange(PipelineOptions.ToArgs(options));
            var t = Run("dotnet", args);
            var report = AnonymizationReport.Read(anonOut + ".report.json");
            anon.Add((t, report));
            log($"  run {i + 1}/{runs}: anonymize {t.WallSeconds:0.00} s ({timeline.FrameCount / t.WallSeconds:0.0} fps)");
        }
        var mid = anon.OrderBy(a => a.T.WallSeconds).ElementAt(anon.Count / 2);
        return new BenchResult(Path.GetFileName(clip), video.Width, video.Height, timeline.FrameCount, timeline.DurationNs / 1e9,
            Median(plain.Select(p => p.WallSeconds)), Median(plain.Select(p => p.CpuSeconds)),
            Median(anon.Select(a => a.T.WallSeconds)), Median(anon.Select(a => a.T.CpuSeconds)), Median(anon.Select(a => a.R.PeakMemoryMb)),
            mid.R.Timings, mid.R.Counts.Inferences, mid.R.Counts.Masks, runs);
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string SelfDll() => typeof(BenchRunner).Assembly.Location;

    public static Timed Run(string file, string arguments) => Run(file, arguments, null);

    public static Timed Run(string file, IEnumerable<string> arguments) => Run(file, null, arguments);

    private static Timed Run(string file, string? arguments, IEnumerable<string>? list)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (arguments != null) psi.Arguments = arguments;
        foreach (var a in list ?? []) psi.ArgumentList.Add(a);
        double cpu0 = ResourceUsage.ChildrenCpuSeconds();
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        double wall = sw.Elapsed.TotalSeconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {err.Result.Trim()}");
        return new Timed(wall, ResourceUsage.ChildrenCpuSeconds() - cpu0);
    }

    public static string Table(IReadOnlyList<BenchResult> results)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            "| clip | frames | plain re-encode fps | anonymize fps | ratio | CPU s per video s (plain / anonymize) | peak MB | decode | detect | track | redact | encode | mux+verify | inferences/frame | ms/inference |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        };
        foreach (var r in results)
        {
            var s = r.Stages;
            double Pct(double x) => 100 * x / Math.Max(s.Total, 1e-9);
            lines.Add(string.Format(inv,
                "| {0} ({1}x{2}) | {3} | {4:0.0} | {5:0.0} | {6:0.00}x | {7:0.00} / {8:0.00} | {9:0} | {10:0}% | {11:0}% | {12:0.0}% | {13:0.0}% | {14:0}% | {15:0}% | {16:0.00} | {17:0.0} |",
                r.Clip, r.Width, r.Height, r.Frames, r.PlainFps, r.AnonFps, r.Ratio, r.PlainCpu / r.Seconds, r.AnonCpu / r.Seconds, r.PeakMemoryMb,
                Pct(s.Decode), Pct(s.Detect), Pct(s.Track), Pct(s.Redact), Pct(s.Encode), Pct(s.Mux + s.Verify),
                (double)r.Inferences / r.Frames, r.Inferences > 0 ? 1000 * s.Detect / r.Inferences : 0));
        }
        return string.Join(Environment.NewLine, lines);
    }
}
