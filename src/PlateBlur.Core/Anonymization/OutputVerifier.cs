using PlateBlur.Core.Media;

namespace PlateBlur.Core.Anonymization;

/// <summary>Checks that an output plays like its source before anything replaces or deletes anything: same frame count, duration within one frame, expected streams.</summary>
public static class OutputVerifier
{
    public static async Task<(MediaInfo Info, FrameTimeline Timeline)> VerifyVideoAsync(
        string outputPath, MediaInfo source, FrameTimeline sourceTimeline, int expectedStreams, CancellationToken ct = default)
    {
        MediaInfo info;
        try { info = await MediaProbe.ProbeAsync(outputPath, ct); }
        catch (MediaException e) { throw new MediaException(MediaError.VerifyFailed, $"Output check failed: the output cannot be read ({e.Message}).", e); }
        var video = info.Video ?? throw new MediaException(MediaError.VerifyFailed, "Output check failed: no video stream.");
        var src = source.RequireVideo();
        if (video.Width != src.Width || video.Height != src.Height)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: {video.Width}x{video.Height}, source is {src.Width}x{src.Height}.");
        if (video.Rotation != src.Rotation)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: rotation {video.Rotation}°, source {src.Rotation}°.");
        var timeline = await FrameTimeline.ScanAsync(outputPath, video, ct);
        if (timeline.FrameCount != sourceTimeline.FrameCount)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: {timeline.FrameCount} frames, source has {sourceTimeline.FrameCount}.");
        double frame = Math.Max(sourceTimeline.LastFrameDurationNs, 1_000_000) / 1e9;
        double diff = Math.Abs(timeline.DurationNs - sourceTimeline.DurationNs) / 1e9;
        if (diff > frame + 1e-6)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: video lasts {timeline.DurationNs / 1e9:0.####} s, source {sourceTimeline.DurationNs / 1e9:0.####} s.");
        double startDiff = Math.Abs(timeline.PtsNs[0] - sourceTimeline.PtsNs[0]) / 1e9;
        if (startDiff > frame + 1e-6)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: video starts at {timeline.PtsNs[0] / 1e9:0.####} s, source at {sourceTimeline.PtsNs[0] / 1e9:0.####} s.");
        // The MP4/MOV muxer writes a timecode track (tmcd) for the timecode the video stream's metadata carries over (GoPro and
        // broadcast footage): it holds one number, no picture, sound or place, and is the source's own timecode.
        int timecodes = info.OtherStreams.Count(MediaProbe.IsTimecodeTrack);
        if (info.StreamCount - timecodes != expectedStreams || timecodes > 1)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: {info.StreamCount} streams ({string.Join(", ", info.OtherStreams.DefaultIfEmpty("no other"))} beside video and audio), expected {expectedStreams}.");
        return (info, timeline);
    }
}
