using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using PlateBlur.Core;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Trigger;

/// <summary>Starts one orchestration per inbox blob version: the instance id comes from the blob path and ETag, so a repeated
/// notification finds the existing instance and starts nothing, while a re-upload (new ETag) starts a new run.
/// Before starting, it skips a version the ledger says is finished (durable across restarts) and takes the instance's lease, so that two
/// hosts sharing one storage account never run the same version at once.</summary>
public sealed class InboxStarter(PlateBlurOptions options, JobLedger ledger, InstanceLocks locks, ILogger<InboxStarter> log)
{
    /// <summary>What StartAsync did: started now, or not (already running here, finished earlier, or leased by another host: <see cref="Busy"/>).</summary>
    public sealed record StartResult(string InstanceId, bool Started, bool Busy = false, bool Done = false)
    {
        public void Deconstruct(out string instanceId, out bool started) { instanceId = InstanceId; started = Started; }
    }

    public static string InstanceIdFor(string blobName, string etag)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Containers.Inbox}/{blobName}|{etag.Trim('"')}"));
        return "pb-" + Convert.ToHexStringLower(hash)[..32];
    }

    /// <summary>The instance of a reviewer's release: the source version and the edits blob version it was released with (a release with
    /// other edits is another run; the same release asked twice is one).</summary>
    public static string ReviewInstanceIdFor(string blobName, string etag, string editsETag) =>
        InstanceIdFor(blobName, $"{etag.Trim('"')}|reviewed|{editsETag.Trim('"')}");

    public PipelineSettings Settings => new(options.SegmentSeconds, options.SegmentOverlapFrames, options.MaxSegmentsInFlight, options.SourcePolicy);

    /// <summary>Schedules the orchestration unless this blob version already has one; returns the instance id and whether it started now.</summary>
    public Task<StartResult> StartAsync(DurableTaskClient client, string blobName, string etag, long size, CancellationToken ct = default) =>
        StartAsync(client, blobName, etag, size, null, ct);

    /// <summary>Starts the normal orchestration for a source version once more, with the edits blob a reviewer saved (its ETag given): the
    /// same path as any run (ledger, lease, QC, publish, source policy), under its own instance id.</summary>
    public Task<StartResult> StartReviewedAsync(DurableTaskClient client, string blobName, string etag, long size, string editsETag, CancellationToken ct = default) =>
        StartAsync(client, blobName, etag, size, editsETag.Trim('"'), ct);

    private async Task<StartResult> StartAsync(DurableTaskClient client, string blobName, string etag, long size, string? reviewedEdits, CancellationToken ct)
    {
        string id = reviewedEdits == null ? InstanceIdFor(blobName, etag) : ReviewInstanceIdFor(blobName, etag, reviewedEdits);
        if (await ledger.IsDoneAsync(id, ct))
        {
            log.LogInformation("{Blob} ({ETag}) was already processed ({Id}, work/{Ledger}); not run again", blobName, etag, id, WorkNames.Ledger(id));
            return new(id, false, Done: true);
        }
        if (await client.GetInstanceAsync(id, ct) != null)
        {
            log.LogInformation("{Blob} ({ETag}) already has orchestration {Id}; duplicate notification ignored", blobName, etag, id);
            return new(id, false);
        }
        if (!await locks.TryAcquireAsync(id, client, ct))
        {
            log.LogInformation("{Blob} ({ETag}): {Id} is being processed by another host (work/{Lock} is leased); skipped", blobName, etag, id, WorkNames.Lock(id));
            return new(id, false, Busy: true);
        }
        // The holder before us may have finished between our ledger check and our lease.
        if (await ledger.IsDoneAsync(id, ct))
        {
            await locks.ReleaseAsync(id, ct);
            return new(id, false, Done: true);
        }
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(AnonymizeMediaOrchestrator.Name, new MediaJob(id, blobName, etag.Trim('"'), size, Settings, reviewedEdits) { TraceParent = PipelineTelemetry.NewTraceParent() },
                new StartOrchestrationOptions(id), ct);
        }
        catch (Exception e) when (e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase) || e.GetType().Name.Contains("AlreadyExists"))
        {
            log.LogInformation("{Blob}: orchestration {Id} was started by a concurrent notification", blobName, id);
            return new(id, false);
        }
        catch
        {
            await locks.ReleaseAsync(id, CancellationToken.None);
            throw;
        }
        log.LogInformation("Started {Id} for {Blob} ({Size:N0} bytes)", id, blobName, size);
        return new(id, true);
    }
}
