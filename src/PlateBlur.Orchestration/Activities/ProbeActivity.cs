using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 1: checks the blob (name, size), probes it, scans a video's frame timeline and plans its segments; bad input is rejected with
/// a reason, never thrown. A video's probe and timeline go to work/ (<see cref="SourceFacts"/>) for the activities that read it in place.</summary>
[DurableTask(Name)]
public sealed class ProbeActivity(BlobStore blobs, PlateBlurOptions options, ILogger<ProbeActivity> log) : PipelineActivity<MediaJob, ProbeOutcome>(log)
{
    public const string Name = "Probe";

    public override async Task<ProbeOutcome> ExecuteAsync(MediaJob job, CancellationToken ct)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var outcome = await ProbeAsync(job, ct);
        Tag("blob", job.BlobName); Tag("bytes", job.SizeBytes); Tag("kind", outcome.Kind); Tag("frames", outcome.FrameCount);
        if (outcome.Accepted)
            log.LogInformation("{InstanceId}: probed {Blob}: {Kind} {Width}x{Height}, {Frames} frames, {Fps:F2} fps, {MediaSeconds:F2} s, {Bytes} bytes in {DurationSeconds:F2} s",
                job.InstanceId, job.BlobName, outcome.Kind, outcome.Width, outcome.Height, outcome.FrameCount,
                outcome.DurationSeconds > 0 ? outcome.FrameCount / outcome.DurationSeconds : 0, outcome.DurationSeconds, job.SizeBytes, sw.Elapsed.TotalSeconds);
        else
        {
            Tag("reason", outcome.ReasonCode);
            log.LogWarning("{InstanceId}: {Blob} not accepted ({ReasonCode}): {Reason}", job.InstanceId, job.BlobName, outcome.ReasonCode, outcome.Reason);
        }
        return outcome;
    }

    /// <summary>The short word for a rejection (metrics tag): not-media, corrupt, truncated, too-large, …</summary>
    public static string Code(MediaError e) => string.Concat(e.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private async Task<ProbeOutcome> ProbeAsync(MediaJob job, CancellationToken ct)
    {
        static ProbeOutcome Reject(string reason, string code) => new(false, "", reason, 0, 0, 0, 0, 0, ReasonCode: code);
        if (WorkNames.Unsafe(job.BlobName) is { } unsafeName) return Reject(unsafeName, "unsafe-name");
        var props = await blobs.PropertiesAsync(Containers.Inbox, job.BlobName, ct);
        if (props == null) return Reject("the blob no longer exists in inbox", "gone");
        if (!BlobStore.IsVersion(props.ETag, job.ETag))
            return new ProbeOutcome(false, "", $"inbox/{job.BlobName} was re-uploaded after this run was scheduled (version {job.ETag.Trim('"')}); the newer version has its own run",
                0, 0, 0, 0, 0, Superseded: true, ReasonCode: "superseded");
        if (props.ContentLength == 0) return Reject($"{job.BlobName} is empty (0 bytes)", "empty");
        if (props.ContentLength > options.MaxInputBytes) return Reject($"{job.BlobName} is {props.ContentLength:N0} bytes, over the limit of {options.MaxInputBytes:N0}", "too-large");
        using var work = new LocalWork(job.InstanceId, Name);
        // The container from the first bytes (one ranged read). An MP4/MOV video is probed and scanned on a local stand-in that holds its
        // boxes but not its media data; anything else (photos, Matroska, AVI, an unusual layout, bytes that are no media) is downloaded as before.
        var head = await blobs.ReadRangeAsync(Containers.Inbox, job.BlobName, 0, SourceInPlace.HeadBytes, job.ETag, ct);
        string local = work.File(WorkNames.LocalName("source", job.BlobName));
        MediaInfo? info = null;
        FrameTimeline? timeline = null;
        if (MediaGuard.Classify(head) == ContainerKind.IsoMedia
            && await SourceInPlace.TryWriteIsoStandInAsync(blobs, job.BlobName, job.ETag, props.ContentLength, head, local, ct))
        {
            try
            {
                info = await MediaProbe.ProbeAsync(local, ct, options.Limits());
                // The keyframes come from the sync-sample table (the parser would take them from the data); no table, no stand-in.
                var sync = info.Video is { } v && info.Kind == MediaKind.Video && v.PixelFormat.Length > 0 ? IsoIndex.SyncSamples(local, v.Index) : null;
                timeline = sync == null ? null : await FrameTimeline.ScanAsync(local, info.Video!, ct, sync);
            }
            catch (Exception e) when (e is MediaException or InvalidDataException or IOException or EndOfStreamException)
            {
                timeline = null; // any doubt: the whole file decides, with the reasons a local run gives
            }
            if (timeline == null) info = null;
        }
        bool standIn = info != null;
        try
        {
            if (!standIn)
            {
                local = await blobs.DownloadSourceAsync(job.BlobName, work, ct, job.ETag);
                info = await MediaProbe.ProbeAsync(local, ct, options.Limits());
            }
            if (info!.Kind == MediaKind.Photo)
            {
                var photo = Photo.Load(local);
                var (photoEdits, photoError) = await EditsAsync(job, src => Task.FromResult(src.ResolvePhoto(photo.Width, photo.Height)), ct);
                return new ProbeOutcome(true, "photo", null, 0, 1, photo.Width, photo.Height, 0, SourceModified: props.LastModified, EditsBlob: photoEdits, EditsError: photoError);
            }
            var video = info.RequireVideo();
            timeline ??= await FrameTimeline.ScanAsync(local, video, ct);
            if (timeline.FrameCount == 0) return Reject($"{job.BlobName} has a video stream without frames", "no-frames");
            options.Limits().CheckFrames(Path.GetFileName(local), timeline.FrameCount); // refused below with the blob's name
            // Plan here, and store what the other activities need to read the source in place: nobody probes or scans it again.
            var plan = SegmentPlanner.Plan(timeline, job.Settings.SegmentSeconds);
            var container = MediaGuard.Classify(head) ?? MediaGuard.Sniff(local);
            var facts = new SourceFacts(container, info with { Path = "" }, timeline, standIn ? await SourceInPlace.SideRangesAsync(local, info, ct) : null);
            await SourceInPlace.WriteFactsAsync(blobs, job.InstanceId, facts, ct);
            // Edits follow their regions through the frames: from the stand-in's holes there are none to see, so they read the source in place.
            (string Url, IDisposable? Registration) source = standIn ? await SourceInPlace.OpenAsync(blobs, job.BlobName, job.ETag, container, props.ContentLength, ct) : (local, null);
            var (url, registration) = source;
            (string? Blob, string? Error) edits;
            using (registration)
                edits = await EditsAsync(job, src => src.ResolveVideoAsync(url, video, timeline, options.TrackingOptions(), ct), ct);
            Tag("segments", plan.Segments.Count); Tag("stand_in", standIn);
            return new ProbeOutcome(true, "video", null, timeline.DurationNs / 1e9, timeline.FrameCount, video.Width, video.Height, info.Audio.Count, video.Rotation,
                SourceModified: props.LastModified, EditsBlob: edits.Blob, EditsError: edits.Error, Plan: plan);
        }
        catch (MediaException e)
        {
            log.LogWarning(e, "{InstanceId}: rejected {Blob} ({Error})", job.InstanceId, job.BlobName, e.Error);
            return Reject(e.Message.Replace("source" + Path.GetExtension(local), job.BlobName), Code(e.Error));
        }
    }

    /// <summary>Reads edits/&lt;source&gt;.edits.json when there is one, validates it against the source and resolves every region over the
    /// whole source (so each segment masks the same boxes a local run would), and stores the result in work/. Returns its blob name, or why
    /// the edits were refused.</summary>
    private async Task<(string? Blob, string? Error)> EditsAsync(MediaJob job, Func<EditsSource, Task<ResolvedEdits>> resolve, CancellationToken ct)
    {
        string name = WorkNames.EditsFor(job.BlobName);
        try
        {
            var bytes = await blobs.ReadBytesIfExistsAsync(Containers.Edits, name, 16 << 20, ct);
            if (bytes == null) return (null, null);
            var resolved = await resolve(EditsSource.Parse(bytes, $"{Containers.Edits}/{name}"));
            string blob = WorkNames.ResolvedEdits(job.InstanceId);
            await blobs.UploadTextAsync(resolved.ToJson(), Containers.Work, blob, ct);
            log.LogInformation("{Blob}: edits applied ({Regions} regions, {Drops} tracks to drop)", job.BlobName, resolved.Regions.Count, resolved.DropTracks.Count);
            return (blob, null);
        }
        catch (InvalidDataException e)
        {
            log.LogWarning("{Blob}: edits refused: {Reason}", job.BlobName, e.Message);
            return (null, e.Message);
        }
    }
}
