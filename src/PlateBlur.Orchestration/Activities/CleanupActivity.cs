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
        // The lock blob of this version: its holder deletes it when it sees the ledger entry; if the holder is gone (the run was resumed
        // elsewhere), delete it here once its lease has expired (a 412 means a lease is still held: the holder will delete it).
        try { await blobs.Blob(Containers.Work, WorkNames.Lock(w.InstanceId)).DeleteIfExistsAsync(cancellationToken: ct); }
        catch (Azure.RequestFailedException e) when (e.Status is 409 or 412) { }
        Tag("blob", w.Source); Tag("status", w.Status); Tag("work_blobs", n);
        log.LogInformation("{InstanceId}: cleaned up {WorkBlobs} work blobs of {Blob}; ledger: {Status}", w.InstanceId, n, w.Source, w.Status ?? "(none)");
        return n;
    }
}
