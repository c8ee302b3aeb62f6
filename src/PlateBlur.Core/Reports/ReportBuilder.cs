using PlateBlur.Core.Media;

namespace PlateBlur.Core.Reports;

/// <summary>The one place a report is assembled: <c>anonymize</c> on a video (VideoAnonymizer) and on a photo (PhotoAnonymizer), and the
/// pipeline's Stitch (video) and AnonymizePhoto (photo) activities. The two kinds differ only in what they know; the facts, counts,
/// metadata notes and warnings are written the same way for all.</summary>
public static class ReportBuilder
{
    /// <summary>A video's report. <paramref name="frames"/> are the frames that carry masks (in order); <paramref name="frameCount"/> the frames written.</summary>
    public static AnonymizationReport Video(
        MediaInfo source, FrameTimeline sourceTimeline, MediaInfo output, FrameTimeline outputTimeline, OutputPlan plan,
        ModelFacts model, PlateBlurOptions options, long frameCount, IReadOnlyList<FrameMasks> frames, long detections, int tracks, long inferences,
        StageTimings timings, Edits.EditsReport? edits = null) => new()
    {
        Kind = "video",
        Input = Facts(source, sourceTimeline),
        Output = Facts(output, outputTimeline),
        Model = model,
        Options = options,
        Counts = new Counts(frameCount, frames.Count, frames.Sum(f => f.Boxes.Count), detections, tracks, inferences),
        Timings = timings,
        PeakMemoryMb = ProcessStats.PeakMemoryMb(),
        Warnings = [.. VideoWarnings(source, plan), .. edits?.Warnings ?? []],
        Metadata = options.KeepLocation ? ["container metadata copied"] : ["container metadata copied without location tags", "data streams dropped"],
        Frames = frames.OrderBy(f => f.Index).ToList(),
        MasksByClass = AnonymizationReport.CountByClass(frames),
        Edits = edits,
    };

    /// <summary>A photo's report: <paramref name="source"/> as probed, with the upright size of its pixels; one frame of masks (or none).</summary>
    public static AnonymizationReport Photo(
        MediaInfo source, int width, int height, int sourceOrientation, MediaInfo output, ModelFacts model, PlateBlurOptions options,
        IReadOnlyList<MaskRecord> masks, long detections, long inferences, StageTimings timings, Edits.EditsReport? edits = null)
    {
        List<FrameMasks> frames = masks.Count > 0 ? [new FrameMasks(0, 0, masks)] : [];
        return new()
        {
            Kind = "photo",
            Input = Facts(source, null) with { Width = width, Height = height },
            Output = Facts(output, null),
            Model = model,
            Options = options,
            Counts = new Counts(1, masks.Count > 0 ? 1 : 0, masks.Count, detections, masks.Count(m => m.Track > 0), inferences),
            Timings = timings,
            PeakMemoryMb = ProcessStats.PeakMemoryMb(),
            Metadata = [sourceOrientation > 1 ? $"EXIF orientation {sourceOrientation} applied to the pixels" : "upright as stored",
                        "EXIF/XMP metadata removed, including GPS location and embedded thumbnails"],
            Frames = frames,
            MasksByClass = AnonymizationReport.CountByClass(frames),
            Edits = edits,
            Warnings = edits?.Warnings ?? [],
        };
    }

    /// <summary>How one mask is recorded: the region actually covered (the box plus the redaction padding, clipped to the picture),
    /// rounded to 0.1 px; a manual mask with its class and region id, a detected one with its score.</summary>
    public static MaskRecord Record(Tracking.MaskBox m, Redaction.RedactionOptions redaction, int width, int height, Edits.ResolvedEdits? edits)
    {
        var b = Redaction.Redactor.Covered(m.Box, redaction, width, height);
        bool manual = m.Kind == Tracking.MaskKind.Manual;
        return new MaskRecord(MathF.Round(b.X, 1), MathF.Round(b.Y, 1), MathF.Round(b.W, 1), MathF.Round(b.H, 1), m.TrackId, m.Kind.ToString(),
            manual ? edits?.ClassOf(m.TrackId) : null, manual ? edits?.RegionIdOf(m.TrackId) : null, m.Score > 0 ? MathF.Round(m.Score, 3) : null);
    }

    /// <summary>The same report as the pipeline publishes it: blob names instead of local paths, and how the pipeline ran.</summary>
    public static AnonymizationReport InPipeline(AnonymizationReport report, string sourceBlob, string outputName, PipelineFacts pipeline) => report with
    {
        Input = report.Input with { Path = sourceBlob },
        Output = report.Output! with { Path = outputName },
        Pipeline = pipeline,
    };

    /// <summary>What the output does not carry over as it was: audio re-encoded for the container, streams left out.</summary>
    public static IReadOnlyList<string> VideoWarnings(MediaInfo source, OutputPlan plan)
    {
        var warnings = new List<string>();
        if (source.Video is { } v && BitDepth(v.PixelFormat) is > 8 and var bits)
            warnings.Add($"the video has {bits}-bit samples ({v.PixelFormat}); the output is 8-bit 4:2:0 H.264 (its colour tags " +
                         "are kept, so HDR still shows as HDR, but fine gradations such as sky may band)");
        foreach (var a in plan.Audio.Where(a => a.Encoder != "copy"))
            warnings.Add($"audio stream {a.SourceIndex} ({a.SourceCodec}) re-encoded with {a.Encoder}: the {plan.Container} container cannot hold it");
        // A timecode track is written again by the MP4/MOV muxer from the video stream's timecode (the verifier allows it).
        var dropped = source.OtherStreams.Where(s => !(plan.CopySubtitles && s.Contains(":subtitle:"))
            && !(plan.Container is "mp4" or "mov" && MediaProbe.IsTimecodeTrack(s))).ToList();
        if (dropped.Count > 0) warnings.Add($"streams not carried over (may hold location or telemetry): {string.Join(", ", dropped)}");
        return warnings;
    }

    /// <summary>Bits per sample of an ffmpeg pixel format name: yuv420p10le → 10, p010le → 10, gray12be → 12, yuv420p → 8.</summary>
    public static int BitDepth(string pixelFormat)
    {
        var m = System.Text.RegularExpressions.Regex.Match(pixelFormat, @"^(?:p0(\d\d)|.*?[a-z](\d{1,2}))(?:le|be)$");
        if (m.Success && int.TryParse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, out int bits) && bits is >= 9 and <= 16) return bits;
        return 8;
    }

    /// <summary>Probe facts of one file as a report records them.</summary>
    public static MediaFacts Facts(MediaInfo m, FrameTimeline? t) => new(
        m.Path, m.SizeBytes, m.Format, Math.Round(m.DurationSeconds, 6), m.StreamCount,
        m.Video?.Codec, m.Video?.Width ?? 0, m.Video?.Height ?? 0, m.Video?.Rotation ?? 0, m.Video?.FrameRate,
        t?.FrameCount ?? (m.Kind == MediaKind.Photo ? 1 : 0), t?.IsVariableFrameRate ?? false,
        m.Audio.Select(a => a.Codec).ToList());
}
