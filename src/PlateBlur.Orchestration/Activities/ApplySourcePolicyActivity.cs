using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 8, only after a verified output passed QC: delete the source (default), keep it, or move it to archive/.
/// The source is only touched if it is still the version that was processed (same ETag).</summary>
[DurableTask(Name)]
public sealed class ApplySourcePolicyActivity(BlobStore blobs, ILogger<ApplySourcePolicyActivity> log) : PipelineActivity<SourcePolicyWork, SourcePolicyOutcome>(log)
{
    public const string Name = "ApplySourcePolicy";

    public override async Task<SourcePolicyOutcome> ExecuteAsync(SourcePolicyWork w, CancellationToken ct)
    {
        var outcome = await ApplyAsync(w, ct);
        Tag("blob", w.SourceBlob); Tag("policy", w.Policy); Tag("applied", outcome.Applied);
        log.LogInformation("{InstanceId}: source policy {Policy} on inbox/{Blob}: {Applied}", w.InstanceId, w.Policy, w.SourceBlob, outcome.Applied);
        return outcome;
    }

    private async Task<SourcePolicyOutcome> ApplyAsync(SourcePolicyWork w, CancellationToken ct)
    {
        switch (w.Policy.ToLowerInvariant())
        {
            case "keep":
                return new SourcePolicyOutcome("kept", null);
            case "move":
                var props = await blobs.PropertiesAsync(Containers.Inbox, w.SourceBlob, ct);
                if (props == null || !BlobStore.IsVersion(props.ETag, w.ETag)) return new SourcePolicyOutcome("kept (source changed since it was processed)", null);
                await blobs.CopyAsync(Containers.Inbox, w.SourceBlob, Containers.Archive, w.SourceBlob, ct);
                bool moved = await blobs.DeleteAsync(Containers.Inbox, w.SourceBlob, w.ETag, ct);
                return new SourcePolicyOutcome(moved ? "moved" : "copied to archive (source changed, kept)", blobs.UriOf(Containers.Archive, w.SourceBlob).ToString());
            case "delete":
                bool deleted = await blobs.DeleteAsync(Containers.Inbox, w.SourceBlob, w.ETag, ct);
                return new SourcePolicyOutcome(deleted ? "deleted" : "kept (source changed since it was processed)", null);
            default:
                throw new ArgumentException($"Unknown source policy '{w.Policy}' (delete, keep or move).");
        }
    }
}
