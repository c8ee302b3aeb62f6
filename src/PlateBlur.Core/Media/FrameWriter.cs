using System.Threading.Channels;
using FFMpegCore;
using FFMpegCore.Enums;

namespace PlateBlur.Core.Media;

/// <summary>Encodes I420 frames to a video-only MP4 through an ffmpeg pipe, keeping each frame's exact timestamp.</summary>
/// <remarks>The writer owns the frames it is given and disposes them once written. Audio and metadata are added later by <see cref="Muxer"/> with stream copy.</remarks>
public sealed class FrameWriter : IAsyncDisposable
{
    private readonly Channel<YuvFrame> _frames = Channel.CreateBounded<YuvFrame>(new BoundedChannelOptions(3) { SingleReader = true, SingleWriter = true });
    private readonly FfmpegProcess _ffmpeg;
    private readonly Task _pump;
    private readonly string _path;
    private bool _completed;

    public FrameWriter(string outputPath, int width, int height, VideoStreamInfo source, EncodeSettings settings, string? colorArguments = null)
    {
        _path = outputPath;
        string args = Arguments(outputPath, source, settings, colorArguments);
        _ffmpeg = new FfmpegProcess(args, stdin: true, stdout: false);
        _pump = Task.Run(async () =>
        {
            var stdin = _ffmpeg.Stdin;
            var writer = new MatroskaRawWriter(stdin, width, height, NominalFrameNs(source));
            try
            {
                writer.WriteHeader();
                await foreach (var frame in _frames.Reader.ReadAllAsync())
                    using (frame) writer.WriteFrame(frame);
            }
            catch (Exception e)
            {
                // The encoder is gone (it could not write its output, or crashed): close the queue so a producer waiting on a full
                // queue fails at once instead of waiting forever.
                _frames.Writer.TryComplete(e);
                throw;
            }
            finally
            {
                try { stdin.Close(); } catch (IOException) { /* ffmpeg already gone: reported by its exit code */ }
            }
        });
    }

    /// <summary>One frame at the stream's nominal rate (its r_frame_rate, else its average rate), in ns; 0 when neither is plausible.</summary>
    public static long NominalFrameNs(VideoStreamInfo source)
    {
        double fps = source.Fps is > 0.5 and < 1000 ? source.Fps : source.AvgFps is > 0.5 and < 1000 ? source.AvgFps : 0;
        return fps > 0 ? (long)Math.Round(1e9 / fps) : 0;
    }

    /// <summary>The ffmpeg command line that encodes our Matroska frames from stdin to a video-only MP4, keeping the source time base.</summary>
    public static string Arguments(string outputPath, VideoStreamInfo source, EncodeSettings settings, string? colorArguments = null)
    {
        var (_, den) = FrameTimeline.ParseTimeBase(source.TimeBase);
        return FFMpegArguments
            .FromUrlInput("pipe:0", o => o.WithCustomArgument(MediaGuard.PipeInput).ForceFormat("matroska"))
            .OutputToFile(outputPath, true, o =>
            {
                o.WithMap(0, StreamType.Video, 0)
                    .WithCustomArgument("-copyts") // no typed argument
                    .WithFpsMode(FpsMode.Passthrough);
                settings.Apply(o);
                // The encoder and muxer time bases, and the colour tags (SegmentProcessor.ColorArguments), have no typed arguments.
                if (den is > 0 and <= int.MaxValue) o.WithCustomArgument($"-enc_time_base:v 1/{den} -video_track_timescale {den}");
                if (!string.IsNullOrWhiteSpace(colorArguments)) o.WithCustomArgument(colorArguments.Trim());
                o.ForceFormat("mp4");
            })
            .Arguments;
    }

    public long FramesWritten { get; private set; }

    /// <summary>Queues a frame; it is disposed after it reaches ffmpeg.</summary>
    public async ValueTask WriteAsync(YuvFrame frame, CancellationToken ct = default)
    {
        if (_pump.IsCompleted)
        {
            frame.Dispose();
            throw await FailureAsync("the encoder stopped early");
        }
        try
        {
            await _frames.Writer.WriteAsync(frame, ct);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            frame.Dispose();
            throw await FailureAsync("the encoder stopped early");
        }
        FramesWritten++;
    }

    /// <summary>Signals the end of the frames and waits for the encoder to finish the file.</summary>
    public async Task CompleteAsync()
    {
        if (_completed) return;
        _completed = true;
        _frames.Writer.TryComplete();
        try { await _pump; }
        catch (IOException) { throw await FailureAsync("the encoder closed its input"); }
        int code = await _ffmpeg.WaitAsync();
        if (code != 0) throw await FailureAsync($"exit code {code}");
    }

    private async Task<MediaException> FailureAsync(string what)
    {
        try { await _ffmpeg.WaitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch { /* use what stderr has */ }
        return new MediaException(MediaError.EncodeFailed, $"Encoding {Path.GetFileName(_path)} failed: {what} ({_ffmpeg.LastError}).");
    }

    public async ValueTask DisposeAsync()
    {
        _frames.Writer.TryComplete();
        if (!_completed) _ffmpeg.Kill();
        try { await _pump; } catch { /* abandoned or already reported */ }
        while (_frames.Reader.TryRead(out var f)) f.Dispose();
        await _ffmpeg.DisposeAsync();
    }
}
