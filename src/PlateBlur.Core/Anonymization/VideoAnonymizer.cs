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
        int expectedStreams = 1 + plan.Audio.Count + (plan.CopySubtitles ? source.OtherStreams.Count(s => s.Contains(":subtitle:")) : 0);
        var (outInfo, outTimeline) = await OutputVerifier.VerifyVideoAsync(partial.TempPath, source, timeline, expectedStreams, ct);
        double verify = clock.Elapsed.TotalSeconds;
        beforeCommit?.Invoke();
        partial.Commit(overwrite);

        var warnings = new List<string>();
        foreach (var a in plan.Audio.Where(a => a.Encoder != "copy"))
            warnings.Add($"audio stream {a.SourceIndex} ({a.SourceCodec}) re-encoded with {a.Encoder}: the {plan.Container} container cannot hold it");
        var dropped = source.OtherStreams.Where(s => !(plan.CopySubtitles && s.Contains(":subtitle:"))).ToList();
        if (dropped.Count > 0) warnings.Add($"streams not carried over (may hold location or telemetry): {string.Join(", ", dropped)}");

        var editsReport = resolved?.Report(segment.Dropped ?? new Dictionary<int, long>(), segment.DroppedMasks ?? [], segment.Masks);
        if (editsReport != null) warnings.AddRange(editsReport.Warnings);
        var timings = segment.Timings with { Mux = mux, Verify = verify, Total = total.Elapsed.TotalSeconds };
        return new AnonymizationReport
        {
            Kind = "video",
            Input = Facts(source, timeline),
            Output = Facts(outInfo with { Path = partial.FinalPath }, outTimeline),
            Model = model,
            Options = options,
            Counts = new Counts(segment.Frames, segment.Masks.Count, segment.Masks.Sum(m => m.Boxes.Count), segment.Detections, segment.Tracks, segment.Inferences),
            Timings = timings,
            PeakMemoryMb = ProcessStats.PeakMemoryMb(),
            Warnings = warnings,
            Metadata = options.KeepLocation ? ["container metadata copied"] : ["container metadata copied without location tags", "data streams dropped"],
            Frames = segment.Masks,
            MasksByClass = AnonymizationReport.CountByClass(segment.Masks),
            Edits = editsReport,
        };
    }

    public static MediaFacts Facts(MediaInfo m, FrameTimeline? t) => new(
        m.Path, m.SizeBytes, m.Format, Math.Round(m.DurationSeconds, 6), m.StreamCount,
        m.Video?.Codec, m.Video?.Width ?? 0, m.Video?.Height ?? 0, m.Video?.Rotation ?? 0, m.Video?.FrameRate,
        t?.FrameCount ?? (m.Kind == MediaKind.Photo ? 1 : 0), t?.IsVariableFrameRate ?? false,
        m.Audio.Select(a => a.Codec).ToList());
}
