using Microsoft.DurableTask;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 10, on every path: removes work/&lt;instanceId&gt;/, then records how the run ended in the ledger (work/ledger/&lt;id&gt;.json),
/// so that no later sweep or restarted host runs this blob version again.</summary>
[DurableTask(Name)]
public sealed class CleanupActivity(BlobStore blobs, JobLedger ledger) : PipelineActivity<CleanupWork, int>
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
        return n;
    }
}
