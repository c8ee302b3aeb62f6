using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using PlateBlur.Orchestration;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests.Chaos;

/// <summary>Signals for processes this harness started (by their id, never by name).</summary>
internal static class Signals
{
    public const int SigKill = 9, SigTerm = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>Direct children of <paramref name="pid"/> (from /proc), with their command lines.</summary>
    public static List<(int Pid, string Command)> Children(int pid)
    {
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int child)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) != pid) continue;
                found.Add((child, File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { } // gone meanwhile
        }
        return found;
    }

    public static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");
}

/// <summary>One line of a process's output, with when it was read.</summary>
internal sealed record LogLine(DateTime Utc, string Text);

/// <summary>Azurite on fixed loopback ports and one data folder, so that it can be stopped and started again on the same data.</summary>
internal sealed class AzuriteProcess : IDisposable
{
    private readonly string _dir;
    private Process? _p;
    private readonly int _blob = PipelineServices.FreeLoopbackPort(), _queue = PipelineServices.FreeLoopbackPort(), _table = PipelineServices.FreeLoopbackPort();

    public AzuriteProcess(string dir) { _dir = dir; Directory.CreateDirectory(dir); }

    public string Connection =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{_blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{_table}/devstoreaccount1;";

    public static string Executable => Path.Combine(TestEnv.RepoRoot, "node_modules", ".bin", "azurite");

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--silent", "--location", _dir, "--blobHost", "127.0.0.1", "--blobPort", $"{_blob}", "--queueHost", "127.0.0.1", "--queuePort", $"{_queue}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{_table}", "--disableTelemetry", "--skipApiVersionCheck", "--loose" })
            psi.ArgumentList.Add(a);
        _p = Process.Start(psi)!;
        _p.OutputDataReceived += (_, _) => { };
        _p.ErrorDataReceived += (_, _) => { };
        _p.BeginOutputReadLine(); _p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (int port in new[] { _blob, _queue, _table })
            while (true)
            {
                try { using var c = new TcpClient(); await c.ConnectAsync(IPAddress.Loopback, port); break; }
                catch (SocketException) when (DateTime.UtcNow < deadline && !_p.HasExited) { await Task.Delay(100); }
            }
    }

    /// <summary>Stops Azurite as an outage would (SIGTERM: it writes its metadata and exits) and waits for it to be gone.</summary>
    public async Task StopAsync()
    {
        if (_p == null || _p.HasExited) return;
        Signals.Send(_p.Id, Signals.SigTerm);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { _p.Kill(); await _p.WaitForExitAsync(); }
    }

    public void Dispose()
    {
        try { if (_p is { HasExited: false }) _p.Kill(); } catch (InvalidOperationException) { }
        _p?.WaitForExit(10_000);
        _p?.Dispose();
        _p = null;
    }
}

/// <summary>A plateblur serve process whose output is kept, line by line, with times.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _p;
    private readonly List<LogLine> _log = [];
    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    public ServeProcess(IEnumerable<string> args, IDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "plateblur.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        _p = Process.Start(psi)!;
        _p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.Add(new(DateTime.UtcNow, e.Data)); };
        _p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.Add(new(DateTime.UtcNow, e.Data)); };
        _p.BeginErrorReadLine(); _p.BeginOutputReadLine();
    }

    public int Pid => _p.Id;
    public bool Exited => _p.HasExited;
    public int? ExitCode => _p.HasExited ? _p.ExitCode : null;

    /// <summary>The last <paramref name="n"/> lines of output, for a failure message.</summary>
    public string Tail(int n) => string.Join("\n", Lines.TakeLast(n).Select(l => $"{l.Utc:HH:mm:ss.fff} {l.Text}"));

    public List<LogLine> Lines { get { lock (_log) return [.. _log]; } }

    /// <summary>kill -9 of the serve process itself (its ffmpeg children are orphaned, as in a crash of the process).</summary>
    public async Task Kill9Async()
    {
        Signals.Send(_p.Id, Signals.SigKill);
        await _p.WaitForExitAsync();
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { if (!_p.HasExited) _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _p.WaitForExit(10_000);
        _p.Dispose();
    }
}


/// <summary>Activity runs read from serve's log ("pb-…: activity ProcessSegment runs (segment 2)").</summary>
internal static partial class ActivityLog
{
    [GeneratedRegex(@"(pb-[0-9a-f]{32}): activity (\w+) runs(?: \(([^)]*)\))?")]
    private static partial Regex Line();

    public sealed record Run(DateTime Utc, string InstanceId, string Activity, string? Detail, int ServeGeneration);

    [GeneratedRegex(@"(pb-[0-9a-f]{32}): activity (\w+) failed(?: \(([^)]*)\))?: (.*)")]
    private static partial Regex FailedLine();

    public sealed record Failure(DateTime Utc, string InstanceId, string Activity, string? Detail, string Message);

    public static IEnumerable<Failure> Failures(IEnumerable<LogLine> lines)
    {
        foreach (var l in lines)
            if (FailedLine().Match(l.Text) is { Success: true } m)
                yield return new Failure(l.Utc, m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Success ? m.Groups[3].Value : null, m.Groups[4].Value);
    }

    public static IEnumerable<Run> Parse(IEnumerable<LogLine> lines, int generation)
    {
        foreach (var l in lines)
            if (Line().Match(l.Text) is { Success: true } m)
                yield return new Run(l.Utc, m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Success ? m.Groups[3].Value : null, generation);
    }
}
