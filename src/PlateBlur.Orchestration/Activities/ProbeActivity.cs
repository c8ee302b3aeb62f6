using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 1: checks the blob (name, size) and probes it; bad input is rejected with a reason, never thrown.</summary>
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
        string local = await blobs.DownloadSourceAsync(job.BlobName, work, ct, job.ETag);
        try
        {
            var info = await MediaProbe.ProbeAsync(local, ct, options.Limits());
            if (info.Kind == MediaKind.Photo)
            {
                var photo = Photo.Load(local);
                var (photoEdits, photoError) = await EditsAsync(job, src => Task.FromResult(src.ResolvePhoto(photo.Width, photo.Height)), ct);
                return new ProbeOutcome(true, "photo", null, 0, 1, photo.Width, photo.Height, 0, SourceModified: props.LastModified, EditsBlob: photoEdits, EditsError: photoError);
            }
            var video = info.RequireVideo();
            var timeline = await FrameTimeline.ScanAsync(local, video, ct);
            if (timeline.FrameCount == 0) return Reject($"{job.BlobName} has a video stream without frames", "no-frames");
            options.Limits().CheckFrames(Path.GetFileName(local), timeline.FrameCount); // refused below with the blob's name
            var (edits, error) = await EditsAsync(job, src => src.ResolveVideoAsync(local, video, timeline, options.TrackingOptions(), ct), ct);
            return new ProbeOutcome(true, "video", null, timeline.DurationNs / 1e9, timeline.FrameCount, video.Width, video.Height, info.Audio.Count, video.Rotation,
                SourceModified: props.LastModified, EditsBlob: edits, EditsError: error);
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
