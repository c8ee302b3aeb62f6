using Azure.Storage.Blobs.Specialized;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 10, on every path: removes work/&lt;instanceId&gt;/, then records how the run ended in the ledger (work/ledger/&lt;id&gt;.json),
/// so that no later sweep or restarted host runs this blob version again.</summary>
[DurableTask(Name)]
public sealed class CleanupActivity(BlobStore blobs, JobLedger ledger, ILogger<CleanupActivity> log) : PipelineActivity<CleanupWork, int>(log)
{
    public const string Name = "Cleanup";

    public override async Task<int> ExecuteAsync(CleanupWork w, CancellationToken ct)
    {
        int n = await blobs.DeletePrefixAsync(Containers.Work, WorkNames.Prefix(w.InstanceId), ct);
        LocalWork.RemoveInstance(w.InstanceId);
        if (w.Status != null)
            await ledger.RecordAsync(new JobLedger.Entry(w.InstanceId, w.Source ?? "", w.ETag ?? "", w.Status, w.Output, w.Reason, DateTimeOffset.UtcNow), ct);
        // The lock blob of this version is no longer needed once the ledger has the outcome (every starter checks the ledger first, and again
        // after taking the lease). Its holder may be gone (killed, the run resumed by another process) with its lease still running, and a
        // holder that is gone never deletes it: break the lease and delete the blob here, so that no lock is left behind. A live holder
        // finds it gone when it next renews, and lets it go.
        var lockBlob = blobs.Blob(Containers.Work, WorkNames.Lock(w.InstanceId));
        try { await lockBlob.DeleteIfExistsAsync(cancellationToken: ct); }
        catch (Azure.RequestFailedException e) when (e.Status is 409 or 412) // leased
        {
            if (w.Status == null) // no ledger entry: the lease still guards the version
            {
                log.LogInformation("{InstanceId}: cleaned up {WorkBlobs} work blobs of {Blob}; ledger: {Status}", w.InstanceId, n, w.Source, "(none)");
                return n;
            }
            try { await lockBlob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: ct); }
            catch (Azure.RequestFailedException b) when (b.Status is 404 or 409) { }
            await lockBlob.DeleteIfExistsAsync(cancellationToken: ct);
        }
        Tag("blob", w.Source); Tag("status", w.Status); Tag("work_blobs", n);
        log.LogInformation("{InstanceId}: cleaned up {WorkBlobs} work blobs of {Blob}; ledger: {Status}", w.InstanceId, n, w.Source, w.Status ?? "(none)");
        return n;
    }
}
