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
        return _process.ExitCode;
    }

    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(true); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try { await _process.WaitForExitAsync(); await _stderrPump; } catch { /* already gone */ }
        _process.Dispose();
    }
}
