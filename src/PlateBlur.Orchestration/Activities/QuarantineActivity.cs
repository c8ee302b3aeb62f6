using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Bad input: a copy of the source and a reason JSON go to quarantine/; the source itself stays in inbox/ untouched.</summary>
[DurableTask(Name)]
public sealed class QuarantineActivity(BlobStore blobs, ILogger<QuarantineActivity> log) : PipelineActivity<QuarantineWork, string>(log)
{
    public const string Name = "Quarantine";

    public override async Task<string> ExecuteAsync(QuarantineWork w, CancellationToken ct)
    {
        // An unsafe name is recorded under the instance id instead of mirroring the name.
        string target = WorkNames.Unsafe(w.SourceBlob) == null ? w.SourceBlob : $"unsafe-names/{w.InstanceId}";
        if (WorkNames.Unsafe(w.SourceBlob) == null && await blobs.PropertiesAsync(Containers.Inbox, w.SourceBlob, ct) != null)
            await blobs.CopyAsync(Containers.Inbox, w.SourceBlob, Containers.Quarantine, target, ct);
        var reason = new { source = w.SourceBlob, instanceId = w.InstanceId, reason = w.Reason, utc = DateTimeOffset.UtcNow };
        await blobs.UploadTextAsync(JsonSerializer.Serialize(reason, new JsonSerializerOptions { WriteIndented = true }), Containers.Quarantine, target + ".reason.json", ct);
        string code = w.ReasonCode ?? "rejected";
        PipelineTelemetry.Quarantined.Add(1, new KeyValuePair<string, object?>("reason", code));
        Tag("blob", w.SourceBlob); Tag("reason", code);
        log.LogWarning("{InstanceId}: {Blob} quarantined ({ReasonCode}) as quarantine/{Target}: {Reason}", w.InstanceId, w.SourceBlob, code, target, w.Reason);
        return blobs.UriOf(Containers.Quarantine, target + ".reason.json").ToString();
    }
}
