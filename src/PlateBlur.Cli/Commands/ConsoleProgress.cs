using System.Diagnostics;
using PlateBlur.Core.Anonymization;

namespace PlateBlur.Cli.Commands;

/// <summary>A progress bar with frames/s and ETA on a terminal, plain lines every few seconds otherwise, nothing when quiet.</summary>
public sealed class ConsoleProgress(bool quiet) : IProgress<AnonymizeProgress>
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private bool _barShown;

    public void Report(AnonymizeProgress p)
    {
        if (quiet) return;
        double secs = Math.Max(p.Elapsed.TotalSeconds, 1e-3);
        double fps = p.FramesDone / secs;
        double eta = fps > 0 ? (p.FramesTotal - p.FramesDone) / fps : 0;
        double frac = p.FramesTotal > 0 ? Math.Clamp((double)p.FramesDone / p.FramesTotal, 0, 1) : 0;
        if (_terminal)
        {
            const int width = 30;
            int fill = (int)(frac * width);
            Console.Error.Write($"\r{Trim(p.File, 24),-24} [{new string('#', fill)}{new string('.', width - fill)}] {frac,4:P0} {p.FramesDone}/{p.FramesTotal} frames {fps,5:0.0} fps ETA {Format(eta)} masks {p.Masks}   ");
            _barShown = true;
            if (p.FramesDone >= p.FramesTotal) Done();
        }
        else if (_sinceLine.Elapsed.TotalSeconds >= 5 || p.FramesDone >= p.FramesTotal)
        {
            Console.Error.WriteLine($"{p.File}: {p.FramesDone}/{p.FramesTotal} frames ({frac:P0}), {fps:0.0} fps, ETA {Format(eta)}, masks {p.Masks}");
            _sinceLine.Restart();
        }
    }

    public void Done()
    {
        if (_barShown) { Console.Error.WriteLine(); _barShown = false; }
    }

    public void Log(string message)
    {
        if (quiet) return;
        Done();
        Console.Error.WriteLine(message);
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];

    public static string Format(double seconds) =>
        seconds >= 3600 ? $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):00}m" : $"{(int)(seconds / 60)}:{(int)(seconds % 60):00}";
}
