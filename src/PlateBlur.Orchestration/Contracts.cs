using PlateBlur.Core.Media;

namespace PlateBlur.Orchestration;

// Records that cross the orchestration boundary: blob names, counts and short strings only, never frames or long arrays,
// so that orchestration history stays small.

/// <summary>The input of one orchestration: a blob in inbox/ at one ETag, with the pipeline settings captured when it started
/// (so a configuration change never alters a running orchestration on replay).</summary>
/// <param name="ReviewedEdits">Set for a reviewer's release (plateblur serve's review page): the ETag of the edits blob the release was asked
/// with. The run is the normal one (the edits blob read again by Probe, QC, publish, source policy); a published release is announced as
/// <see cref="EventTypes.MediaReviewed"/>.</param>
public sealed record MediaJob(string InstanceId, string BlobName, string ETag, long SizeBytes, PipelineSettings Settings, string? ReviewedEdits = null) : Traced;

/// <summary>The settings the orchestrator itself uses.</summary>
public sealed record PipelineSettings(double SegmentSeconds, int OverlapFrames, int MaxSegmentsInFlight, string SourcePolicy, int ActivityAttempts = 3);

/// <summary>What the probe decided: accepted as video or photo, or rejected with a reason.</summary>
/// <param name="EditsBlob">The edits (edits/&lt;source&gt;.edits.json) resolved over the whole source, in work/ (null: none).</param>
/// <param name="EditsError">Why the edits blob was refused (the run then fails; the source stays in inbox/).</param>
public sealed record ProbeOutcome(bool Accepted, string Kind, string? Reason, double DurationSeconds, long FrameCount, int Width, int Height, int AudioStreams, int Rotation = 0,
    bool Superseded = false, DateTimeOffset SourceModified = default, string? ReasonCode = null, string? EditsBlob = null, string? EditsError = null, SegmentPlan? Plan = null);


/// <summary>Where Split put each segment's video (work/&lt;id&gt;/split/seg-NNNN.mkv), with its frame count. Empty (no blobs) when the
/// segments read their own time range of the source in place: Split runs only for a source whose keyframes are too sparse to cut at.</summary>
public sealed record SplitOutcome(IReadOnlyList<string> SegmentBlobs, IReadOnlyList<int> SegmentFrames, bool ReEncoded, double Seconds);

/// <summary>Work for one ProcessSegment activity: its own segment and its neighbours for the overlap frames, either as Split's blobs or,
/// when <paramref name="SegmentBlob"/> is null, as frame ranges of the source read in place (<paramref name="Previous"/>, <paramref name="Next"/>).</summary>
public sealed record SegmentWork(string InstanceId, string SourceBlob, string OutputName, SegmentSpec Segment, string? SegmentBlob, string? PreviousBlob, string? NextBlob, int OverlapFrames, int Rotation,
    string? EditsBlob = null, SegmentSpec? Previous = null, SegmentSpec? Next = null, string? SourceETag = null) : Traced;

/// <summary>What one segment produced: encoded video and its per-frame masks, both in work/.</summary>
public sealed record SegmentOutcome(int Index, string VideoBlob, string MasksBlob, long Frames, long Masks, long Detections, int Tracks, long Inferences, double Seconds);

public sealed record StitchWork(string InstanceId, string SourceBlob, string OutputName, SegmentPlan Plan, IReadOnlyList<SegmentOutcome> Segments, SplitOutcome Split, string? SourceETag = null,
    string? EditsBlob = null) : Traced;

/// <summary>The stitched output and its verification against the source.</summary>
public sealed record StitchOutcome(bool Verified, string? Reason, string? ResultBlob, string? ReportBlob, long Frames, double DurationSeconds, int Streams, double Seconds);

public sealed record PhotoWork(string InstanceId, string SourceBlob, string OutputName, string? SourceETag = null, string? EditsBlob = null) : Traced;

/// <summary>What the photo activity produced (masked photo and report in work/).</summary>
public sealed record PhotoOutcome(bool Ok, string? Reason, string? ResultBlob, string? ReportBlob, long Masks, double Seconds);

public sealed record QcWork(string InstanceId, string ResultBlob, string ReportBlob, string OutputName) : Traced;

/// <summary>QC verdict: residual plates found outside the masks in sampled output frames.</summary>
public sealed record QcOutcome(bool Passed, int Samples, int Residual, string ContactSheetBlob, double Seconds);

/// <summary>SourceETag and SourceModified name the source version the result came from: Publish never lets it replace the output of a newer one.</summary>
public sealed record PublishWork(string InstanceId, string SourceBlob, string OutputName, string ResultBlob, string ReportBlob, string? ContactSheetBlob, bool QcPassed,
    string SourceETag = "", DateTimeOffset SourceModified = default) : Traced;

/// <summary>Where the output landed (outbox/ or quarantine/), as blob URLs for the event.</summary>
/// <summary>Superseded: nothing was written, because a newer version of the source is in inbox/ or has already published.</summary>
public sealed record Published(string Container, string Media, string Report, string? ContactSheet, bool Superseded = false, string? SupersededBecause = null);

/// <summary>ReasonCode: a short, fixed word for the metrics (unsafe-name, empty, too-large, gone, or the media error).</summary>
public sealed record QuarantineWork(string InstanceId, string SourceBlob, string Reason, string? ReasonCode = null) : Traced;

public sealed record SourcePolicyWork(string InstanceId, string SourceBlob, string ETag, string Policy) : Traced;

public sealed record SourcePolicyOutcome(string Applied, string? ArchiveUrl);

/// <summary>The CloudEvent to send.</summary>
public sealed record Notification(string Type, string Subject, MediaEventData Data) : Traced;

/// <summary>The data of every PlateBlur CloudEvent.</summary>
public sealed record MediaEventData(
    string InstanceId, string Input, string Kind, string? Output, string? Report, string? ContactSheet,
    long Frames, long Masks, int Tracks, int Segments, double DurationSeconds, double ProcessingSeconds,
    QcSummary? Qc, string? FailureReason, string SourcePolicy);

public sealed record QcSummary(bool Passed, int Samples, int Residual);

/// <summary>Removes work/&lt;id&gt;/; with a status, also records the outcome in the ledger (work/ledger/&lt;id&gt;.json).</summary>
public sealed record CleanupWork(string InstanceId, string? Source = null, string? ETag = null, string? Status = null, string? Output = null, string? Reason = null) : Traced;

/// <summary>How an orchestration ended.</summary>
public sealed record MediaOutcome(string Status, string? Output, string? Reason, int Segments, long Frames, long Masks, string SourcePolicy, int ActivityCalls, long HistoryPayloadBytes,
    StageSeconds? Stages = null);

/// <summary>Seconds the main activities took (from their own results, so replay gives the same numbers).</summary>
public sealed record StageSeconds(double Split, double SlowestSegment, double SumOfSegments, double Stitch, double Qc);

/// <summary>Event types PlateBlur publishes.</summary>
public static class EventTypes
{
    public const string MediaAnonymized = "PlateBlur.MediaAnonymized";
    public const string QcFailed = "PlateBlur.QcFailed";
    public const string AnonymizationFailed = "PlateBlur.AnonymizationFailed";
    /// <summary>A reviewer released the file with edits, and the re-rendered output passed QC and was published to outbox/.</summary>
    public const string MediaReviewed = "PlateBlur.MediaReviewed";
}

/// <summary>Container names (the storage layout of the pipeline).</summary>
public static class Containers
{
    public const string Inbox = "inbox";
    public const string Outbox = "outbox";
    public const string Quarantine = "quarantine";
    public const string Archive = "archive";
    public const string Work = "work";
    /// <summary>A reviewer's edits for inbox/&lt;path&gt;: edits/&lt;path&gt;.edits.json (docs/edits.md), applied when that source runs.</summary>
    public const string Edits = "edits";
    /// <summary>CloudEvents that could not be delivered after every attempt, one JSON blob per event, named by its id.</summary>
    public const string EventsFailed = "events-failed";
    public static readonly string[] All = [Inbox, Outbox, Quarantine, Archive, Work, Edits, EventsFailed];
}
