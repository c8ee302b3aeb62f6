using System.Diagnostics;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;

namespace PlateBlur.Core.Anonymization;

/// <summary>Anonymizes one video file end to end on this machine: probe, process all frames, mux audio back, verify, then move into place.</summary>
public static class VideoAnonymizer
{
    public static async Task<AnonymizationReport> RunAsync(
        MediaInfo source, string outputPath, FrameScanner scanner, ModelFacts model, PlateBlurOptions options, bool overwrite,
        IProgress<AnonymizeProgress>? progress = null, CancellationToken ct = default, Action? beforeCommit = null, EditsSource? edits = null)
    {
        var total = Stopwatch.StartNew();
        var video = source.RequireVideo();
        var plan = OutputPlan.For(outputPath, source, options.Codec);
        var timeline = await FrameTimeline.ScanAsync(source.Path, video, ct);
        options.Limits().CheckFrames(Path.GetFileName(source.Path), timeline.FrameCount);
        if (timeline.FrameCount == 0) throw new MediaException(MediaError.Corrupt, $"{Path.GetFileName(source.Path)} has a video stream without frames.");

        var resolved = edits == null ? null : await edits.ResolveVideoAsync(source.Path, video, timeline, options.TrackingOptions(), ct);
        using var partial = new PartialFile(outputPath);
        using var videoPart = new PartialFile(Path.ChangeExtension(outputPath, ".mp4"), "partial-video");
        var encode = new EncodeSettings(plan.VideoEncoder, options.Crf, options.Preset);
        var segment = await SegmentProcessor.ProcessAsync(source, timeline, 0, timeline.FrameCount, 0, videoPart.TempPath, scanner, options, encode, progress, ct, resolved);

        var clock = Stopwatch.StartNew();
        await Muxer.MuxAsync([videoPart.TempPath], [timeline.PtsNs[0], timeline.PtsNs[0] + timeline.DurationNs], source, plan, partial.TempPath, options.KeepLocation, ct);
        double mux = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var (outInfo, outTimeline) = await OutputVerifier.VerifyVideoAsync(partial.TempPath, source, timeline, plan.ExpectedStreams(source), ct);
        double verify = clock.Elapsed.TotalSeconds;
        beforeCommit?.Invoke();
        partial.Commit(overwrite);

        var editsReport = resolved?.Report(segment.Dropped ?? new Dictionary<int, long>(), segment.DroppedMasks ?? [], segment.Masks);
        var timings = segment.Timings with { Mux = mux, Verify = verify, Total = total.Elapsed.TotalSeconds };
        return ReportBuilder.Video(source, timeline, outInfo with { Path = partial.FinalPath }, outTimeline, plan, model, options,
            segment.Frames, segment.Masks, segment.Detections, segment.Tracks, segment.Inferences, timings, editsReport);
    }
}
