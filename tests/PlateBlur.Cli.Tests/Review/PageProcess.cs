using System.Diagnostics;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests.Review;

/// <summary>A plateblur process that serves a review page (`review`, or `serve --review-port`): its output is kept, and the line in which
/// it printed the page's address ("review: http://…") is awaited. Disposing kills the process and its children.</summary>
internal sealed class PageProcess : IDisposable
{
    private readonly Process _p;
    private readonly System.Text.StringBuilder _log = new();
    private readonly TaskCompletionSource<string> _line = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PageProcess(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "plateblur.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir;
        if (TestEnv.Models.MirrorDir != null) psi.Environment["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;
        _p = Process.Start(psi)!;
        _p.OutputDataReceived += (_, e) =>
        {
            lock (_log) _log.AppendLine(e.Data);
            if (e.Data?.StartsWith("review: http://") == true) _line.TrySetResult(e.Data);
        };
        _p.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _p.EnableRaisingEvents = true;
        _p.Exited += (_, _) => _line.TrySetException(new InvalidOperationException($"plateblur {args.FirstOrDefault()} exited ({_p.ExitCode}):\n{Log}"));
        _p.BeginErrorReadLine(); _p.BeginOutputReadLine();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The whole line that announced the page (it also says who may open it).</summary>
    public Task<string> AnnouncedAsync() => _line.Task.WaitAsync(TimeSpan.FromSeconds(90));

    /// <summary>The page's address.</summary>
    public async Task<string> UrlAsync() => (await AnnouncedAsync()).Split(' ')[1];

    public void Dispose()
    {
        try { _p.Kill(true); } catch (InvalidOperationException) { }
        _p.WaitForExit(10_000);
        _p.Dispose();
    }
}

/// <summary>What the browser tests share: the system Chromium and the folder for their screenshots.</summary>
internal static class BrowserTest
{
    public static string? Chromium => new[] { Environment.GetEnvironmentVariable("PLATEBLUR_CHROMIUM"), "/usr/bin/chromium", "/usr/lib/chromium/chromium" }
        .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    public const string NoChromium = "SKIPPED: no Chromium at /usr/bin/chromium (apt-get install chromium; scripts/test.sh does)";

    /// <summary>Screenshots of each step: PLATEBLUR_TEST_OUTPUT/<paramref name="name"/>, else <paramref name="name"/>-screenshots beside the test binaries.</summary>
    public static string ShotDir(string name)
    {
        string dir = Environment.GetEnvironmentVariable("PLATEBLUR_TEST_OUTPUT") is { Length: > 0 } o ? Path.Combine(o, name) : Path.Combine(AppContext.BaseDirectory, $"{name}-screenshots");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
