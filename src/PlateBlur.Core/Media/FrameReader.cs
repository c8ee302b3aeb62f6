using System.Threading.Channels;
using FFMpegCore;
using FFMpegCore.Enums;

namespace PlateBlur.Core.Media;

/// <summary>Decodes a video stream to I420 frames through an ffmpeg pipe; a bounded queue keeps memory flat for any length.</summary>
/// <remarks>Frames come in stored orientation (no auto-rotation) and carry their exact source timestamps, matched against the packet timeline.</remarks>
public static class FrameReader
{
    /// <summary>Reads consecutive pieces of a stream stored in separate files (a segment and its neighbours), giving every frame its global index.</summary>
    public static async IAsyncEnumerable<YuvFrame> ReadPiecesAsync(IEnumerable<FramePiece> pieces,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var p in pieces)
            await foreach (var frame in ReadAsync(p.Path, p.Video, p.Timeline, p.FirstIndex, p.EndIndex, ct, p.SeekMarginSeconds))
            {
                frame.Index += p.GlobalOffset;
                yield return frame;
            }
    }

    /// <summary>Reads frames with timeline indices in [<paramref name="firstIndex"/>, <paramref name="endIndex"/>).</summary>
    /// <param name="seekMarginSeconds">How much earlier than the first wanted frame to seek (ffmpeg then starts at the keyframe before that).
    /// A source read in place over HTTP uses less than a second: every second earlier can cost a group of pictures more of bytes.</param>
    public static async IAsyncEnumerable<YuvFrame> ReadAsync(
        string path, VideoStreamInfo video, FrameTimeline timeline, int firstIndex = 0, int endIndex = int.MaxValue,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default, double seekMarginSeconds = 1.0)
    {
        endIndex = Math.Min(endIndex, timeline.FrameCount);
        if (firstIndex >= endIndex) yield break;
        var channel = Channel.CreateBounded<YuvFrame>(new BoundedChannelOptions(3) { SingleReader = true, SingleWriter = true });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int wanted = endIndex - firstIndex, decoded = 0;

        // Seek a second early (relative to the file start) and drop earlier frames by index: accurate whatever the keyframe spacing.
        double seek = firstIndex > 0 ? (timeline.PtsNs[firstIndex] - timeline.PtsNs[0]) / 1e9 - seekMarginSeconds : -1;
        string args = Arguments(path, video.Index, seek);
        await using var ffmpeg = new FfmpegProcess(args, stdin: false, stdout: true);

        var pump = Task.Run(async () =>
        {
            try
            {
                var reader = new MatroskaRawReader(new BufferedStream(ffmpeg.Stdout, 1 << 20));
                long offset = long.MinValue, previous = long.MinValue;
                int expected = -1;
                while (reader.ReadFrame() is { } frame)
                {
                    // Snap the pipe's millisecond time to the exact packet time; keep order if a frame was dropped.
                    if (offset == long.MinValue) offset = timeline.PtsNs[timeline.NearestIndex(frame.PtsNs)] - frame.PtsNs;
                    long t = frame.PtsNs + offset;
                    // The decoder gives pictures in display order. A picture stamped earlier than the one before it means the file's
                    // timestamps do not follow that order (a muxer fault, e.g. composition offsets written wrongly): which time each
                    // picture belongs to cannot be known, and the timeline would give two pictures one place.
                    // (ffmpeg may also push such a stamp just past the previous one, which lands two pictures on one frame of the timeline.)
                    int idx = expected >= 0 && expected < timeline.FrameCount && Math.Abs(timeline.PtsNs[expected] - t) <= 2_000_000
                        ? expected : timeline.NearestIndex(t);
                    if (previous != long.MinValue && (t < previous - 2_000_000 || idx < expected))
                    {
                        frame.Dispose();
                        throw new MediaException(MediaError.Corrupt,
                            $"{RemoteMedia.NameOf(path)}: its timestamps are out of display order (the picture after the one at {previous / 1e9:0.000} s " +
                            $"is stamped {t / 1e9:0.000} s, the place of an earlier picture), a fault of the program that wrote it. Re-encode it with " +
                            "the pictures numbered in display order, e.g. ffmpeg -i IN -vf setpts=N/FRAME_RATE/TB -c:v libx264 -crf 16 -c:a copy OUT.mp4, and anonymize that.");
                    }
                    previous = t;
                    frame.Index = idx;
                    frame.PtsNs = timeline.PtsNs[idx];
                    expected = idx + 1;
                    if (idx < firstIndex) { frame.Dispose(); continue; }
                    if (idx >= endIndex) { frame.Dispose(); break; }
                    await channel.Writer.WriteAsync(frame, cts.Token);
                    decoded++;
                    if (idx == endIndex - 1) break;
                }
                if (decoded < wanted)
                {
                    int code = await ffmpeg.WaitAsync(cts.Token);
                    throw new MediaException(MediaError.Truncated,
                        $"{RemoteMedia.NameOf(path)} is truncated or corrupt: decoded {decoded} of {wanted} frames ({(code == 0 ? "stream ended early" : ffmpeg.LastError)}).");
                }
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e is EndOfStreamException or InvalidDataException
                    ? new MediaException(MediaError.Corrupt, $"{RemoteMedia.NameOf(path)}: decoding failed ({ffmpeg.LastError}).", e) : e);
            }
        });

        try
        {
            await foreach (var frame in channel.Reader.ReadAllAsync(ct))
                yield return frame;
        }
        finally
        {
            cts.Cancel();
            ffmpeg.Kill();
            try { await pump; } catch { /* reported through the channel */ }
            while (channel.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    /// <summary>The ffmpeg command line that decodes stream <paramref name="streamIndex"/> of <paramref name="path"/> to raw I420 frames in
    /// Matroska on stdout, starting at <paramref name="seekSeconds"/> from the file start when that is positive.</summary>
    public static string Arguments(string path, int streamIndex, double seekSeconds) => FFMpegArguments
        .FromFileInput(path, false, o =>
        {
            // The hostile-input gate stays one string before -i (protocol allow-list and forced demuxer); -noautorotate has no typed argument.
            o.WithCustomArgument(MediaGuard.InputArguments(path) + " -noautorotate");
            // Input -ss; FFMpegCore writes hh:mm:ss.fff, cut to the millisecond: harmless, the seek is a second early and frames are kept by index.
            if (seekSeconds > 0) o.WithStartTime(TimeSpan.FromSeconds(seekSeconds));
        })
        .OutputToUrl("pipe:1", o => o
            .WithMap(0, StreamType.All, streamIndex)
            .DisableAudio().DisableSubtitles().DisableData()
            .WithCustomArgument("-copyts") // no typed argument
            .WithFpsMode(FpsMode.Passthrough)
            .WithVideoCodec("rawvideo")
            .WithPixelFormat("yuv420p")
            .ForceFormat("matroska"))
        .Arguments;
}

/// <summary>Frames [FirstIndex, EndIndex) of one file, whose frame 0 is frame GlobalOffset of the whole stream.</summary>
public sealed record FramePiece(string Path, VideoStreamInfo Video, FrameTimeline Timeline, int FirstIndex, int EndIndex, int GlobalOffset, double SeekMarginSeconds = 1.0);
