using System.Diagnostics;
using FFMpegCore;

namespace PlateBlur.Core.Media;

/// <summary>An ffmpeg process whose stdin or stdout carries frames; arguments come from FFMpegCore's builders.</summary>
/// <remarks>FFMpegCore's own pipe sinks are torn down as soon as ffmpeg exits, which can drop the last buffered frames when the reader is slower than the decoder; a plain stdout pipe stays readable to the end.</remarks>
public sealed class FfmpegProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stderr = [];
    private readonly Task _stderrPump;
    private string? _report;

    public FfmpegProcess(string arguments, bool stdin, bool stdout)
    {
        var psi = new ProcessStartInfo(GlobalFFOptions.GetFFMpegBinaryPath(), "-hide_banner -nostats -loglevel error " + (stdin ? "" : "-nostdin ") + arguments)
        {
            RedirectStandardInput = stdin,
            RedirectStandardOutput = stdout,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (RemoteMedia.Opens(arguments))
        {
            // A source read in place: ffmpeg's own count of the bytes it read ("Statistics: N bytes read", verbose) goes to a report file,
            // while the console stays at errors only.
            // The report names the source URL with its SAS: it goes to this process's owner-only folder, never the shared temporary folder.
            _report = Path.Combine(PrivateTemp.ForThisProcess, $"ffreport-{Guid.NewGuid():N}.log");
            psi.Environment["FFREPORT"] = $"file={_report}:level=40";
        }
        try
        {
            _process = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("ffmpeg was not found: install it (the set-up script does: apt-get install ffmpeg) or put it on PATH.", e);
        }
        _stderrPump = Task.Run(async () =>
        {
            while (await _process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) { if (_stderr.Count >= 100) _stderr.RemoveAt(0); _stderr.Add(line); }
        });
    }

    public Stream Stdin => _process.StandardInput.BaseStream;
    public Stream Stdout => _process.StandardOutput.BaseStream;

    public string LastError
    {
        get
        {
            string? line;
            lock (_stderr) line = _stderr.LastOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Trim();
            if (line == null) return "no error text";
            line = RemoteMedia.Redact(line); // a source read in place has a SAS in its URL
            // "[mjpeg @ 0x55d0c0] overread 8" -> "mjpeg: overread 8": addresses mean nothing to a reader.
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^\[(\w+) @ 0x[0-9a-f]+\]\s*(.*)$");
            return m.Success ? $"{m.Groups[1].Value}: {m.Groups[2].Value}" : line;
        }
    }

    /// <summary>True when ffmpeg printed anything at its log level (errors, with the default -loglevel error).</summary>
    public bool HasErrorOutput
    {
        get { lock (_stderr) return _stderr.Any(l => !string.IsNullOrWhiteSpace(l)); }
    }

    public async Task<int> WaitAsync(CancellationToken ct = default)
    {
        await _process.WaitForExitAsync(ct);
        await _stderrPump;
        CountRemoteBytes();
        return _process.ExitCode;
    }

    /// <summary>Ends ffmpeg. One reading a remote source is first asked to stop (its output pipe closed, then SIGTERM), so it closes its
    /// input and logs how many bytes it read; it is killed if it has not ended within 3 s.</summary>
    public void Kill()
    {
        try
        {
            if (_process.HasExited) return;
            if (_report != null && !OperatingSystem.IsWindows())
            {
                try { if (_process.StartInfo.RedirectStandardOutput) _process.StandardOutput.BaseStream.Dispose(); } catch (Exception) { }
                _ = SigTerm(_process.Id, 15);
                if (_process.WaitForExit(3000)) return;
            }
            _process.Kill(true);
        }
        catch (InvalidOperationException) { }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SigTerm(int pid, int signal);

    /// <summary>Adds the bytes ffmpeg read from a remote source (the last input's count in its report) to <see cref="RemoteMedia.BytesRead"/>, once.</summary>
    private void CountRemoteBytes()
    {
        string? report = Interlocked.Exchange(ref _report, null);
        if (report == null) return;
        try
        {
            if (File.Exists(report)) RemoteMedia.OnBytesRead(RemoteMedia.LastInputBytes(File.ReadLines(report)));
        }
        finally
        {
            try { File.Delete(report); } catch (IOException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try { await _process.WaitForExitAsync(); await _stderrPump; } catch { /* already gone */ }
        CountRemoteBytes();
        _process.Dispose();
    }
}
