using System.Globalization;
using FFMpegCore;
using FFMpegCore.Enums;

namespace PlateBlur.Core.Media;

/// <summary>Cuts the video stream into the planned segments (NUT files that keep the source time base and timestamps).</summary>
public static class Splitter
{
    /// <summary>Splits by stream copy at the plan's keyframes, or re-encodes with keyframes forced at the cuts when the plan asks for it
    /// (or when a stream-copy cut does not land where planned). Returns the files in order.</summary>
    public static async Task<(List<string> Files, bool ReEncoded)> SplitAsync(string source, VideoStreamInfo video, SegmentPlan plan, string folder, CancellationToken ct = default)
    {
        Directory.CreateDirectory(folder);
        if (!plan.ForceKeyframes)
        {
            var files = await RunAsync(source, video, plan, folder, reEncode: false, ct);
            if (await MatchesAsync(files, plan, ct)) return (files, false);
            foreach (var f in files) File.Delete(f);
        }
        var forced = await RunAsync(source, video, plan, folder, reEncode: true, ct);
        if (!await MatchesAsync(forced, plan, ct))
            throw new MediaException(MediaError.EncodeFailed, "Splitting with forced keyframes did not give the planned segments.");
        return (forced, true);
    }

    private static async Task<List<string>> RunAsync(string source, VideoStreamInfo video, SegmentPlan plan, string folder, bool reEncode, CancellationToken ct)
    {
        string args = Arguments(source, video, plan, folder, reEncode);
        await using var ffmpeg = new FfmpegProcess(args, stdin: false, stdout: false);
        int code = await ffmpeg.WaitAsync(ct);
        if (code != 0) throw new MediaException(MediaError.EncodeFailed, $"Splitting failed ({ffmpeg.LastError}).");
        return Directory.GetFiles(folder, "seg-*.nut").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The ffmpeg command line that cuts stream <c>video.Index</c> of <paramref name="source"/> into NUT segments
    /// (seg-0000.nut, ...) in <paramref name="folder"/> at the plan's cut times, by stream copy or by re-encoding.</summary>
    public static string Arguments(string source, VideoStreamInfo video, SegmentPlan plan, string folder, bool reEncode)
    {
        var inv = CultureInfo.InvariantCulture;
        // A cut time just before each planned first frame: the segment muxer cuts at the first keyframe at or after it.
        string times = string.Join(",", plan.Segments.Skip(1).Select(s => (s.StartNs / 1e9 - 0.0005).ToString("0.######", inv)));
        var (_, den) = FrameTimeline.ParseTimeBase(video.TimeBase);
        string pattern = Path.Combine(folder, "seg-%04d.nut");
        return FFMpegArguments
            // The hostile-input gate stays one string before -i (protocol allow-list and forced demuxer); -noautorotate has no typed argument.
            .FromFileInput(source, false, o => o.WithCustomArgument(MediaGuard.InputArguments(source) + " -noautorotate"))
            .OutputToFile(pattern, true, o =>
            {
                o.WithMap(0, StreamType.All, video.Index)
                    .DisableAudio().DisableSubtitles().DisableData()
                    .WithCustomArgument("-copyts") // no typed argument
                    .WithFpsMode(FpsMode.Passthrough);
                if (reEncode)
                {
                    o.WithVideoCodec(VideoCodec.LibX264).WithSpeedPreset(EncoderPreset.UltraFast).WithConstantRateFactor(12).WithPixelFormat("yuv420p")
                        .WithCustomArgument($"-enc_time_base:v 1/{den}"); // no typed argument
                    if (times.Length > 0) o.WithCustomArgument($"-force_key_frames {times}"); // no typed argument
                }
                else
                {
                    o.CopyStreams(StreamType.Video);
                }
                // The segment muxer's own options have no typed arguments.
                o.ForceFormat("segment")
                    .WithCustomArgument("-segment_format nut -reset_timestamps 0" + (times.Length > 0 ? $" -segment_times {times}" : " -segment_time 999999999"));
            })
            .Arguments;
    }

    private static async Task<bool> MatchesAsync(List<string> files, SegmentPlan plan, CancellationToken ct)
    {
        if (files.Count != plan.Segments.Count) return false;
        for (int i = 0; i < files.Count; i++)
        {
            var info = await MediaProbe.ProbeAsync(files[i], ct, workFile: true);
            var t = await FrameTimeline.ScanAsync(files[i], info.RequireVideo(), ct);
            var s = plan.Segments[i];
            if (t.FrameCount != s.EndFrame - s.FirstFrame || Math.Abs(t.PtsNs[0] - s.StartNs) > 1_000_000) return false;
        }
        return true;
    }
}
