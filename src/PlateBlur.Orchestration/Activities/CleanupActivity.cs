using Microsoft.DurableTask;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 10, on every path: removes work/&lt;instanceId&gt;/.</summary>
[DurableTask(Name)]
public sealed class CleanupActivity(BlobStore blobs) : PipelineActivity<CleanupWork, int>
{
    public const string Name = "Cleanup";

    public override Task<int> ExecuteAsync(CleanupWork w, CancellationToken ct) => blobs.DeletePrefixAsync(Containers.Work, WorkNames.Prefix(w.InstanceId), ct);
}
