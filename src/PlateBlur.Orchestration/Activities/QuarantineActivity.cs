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
        string code = w.ReasonCode ?? "rejected";
        // An activity runs at least once: run again for the same job (a crash, its completion lost while storage was down, or a second delivery
        // while the first still runs), it leaves what this run already wrote (both blobs carry the run's id and are written conditionally)
        // instead of writing the quarantined copy and its reason a second time.
        var run = new Dictionary<string, string> { [BlobStore.RunKey] = w.InstanceId };
        if (BlobStore.WrittenBy(await blobs.PropertiesAsync(Containers.Quarantine, target + ".reason.json", ct), w.InstanceId))
        {
            log.LogInformation("{InstanceId}: {Blob} was already quarantined by this run as quarantine/{Target}", w.InstanceId, w.SourceBlob, target);
            return blobs.UriOf(Containers.Quarantine, target + ".reason.json").ToString();
        }
        if (WorkNames.Unsafe(w.SourceBlob) == null && await blobs.PropertiesAsync(Containers.Inbox, w.SourceBlob, ct) != null)
            await blobs.WriteOncePerRunAsync(Containers.Quarantine, target, w.InstanceId,
                c => blobs.CopyAsync(Containers.Inbox, w.SourceBlob, Containers.Quarantine, target, ct, run, c), ct);
        var reason = new { source = w.SourceBlob, instanceId = w.InstanceId, reason = w.Reason, utc = DateTimeOffset.UtcNow };
        string json = JsonSerializer.Serialize(reason, new JsonSerializerOptions { WriteIndented = true });
        if (!await blobs.WriteOncePerRunAsync(Containers.Quarantine, target + ".reason.json", w.InstanceId,
                c => blobs.UploadTextAsync(json, Containers.Quarantine, target + ".reason.json", ct, run, c), ct))
        {
            log.LogInformation("{InstanceId}: {Blob} was quarantined by another execution of this run as quarantine/{Target}", w.InstanceId, w.SourceBlob, target);
            return blobs.UriOf(Containers.Quarantine, target + ".reason.json").ToString();
        }
        PipelineTelemetry.Quarantined.Add(1, new KeyValuePair<string, object?>("reason", code));
        Tag("blob", w.SourceBlob); Tag("reason", code);
        log.LogWarning("{InstanceId}: {Blob} quarantined ({ReasonCode}) as quarantine/{Target}: {Reason}", w.InstanceId, w.SourceBlob, code, target, w.Reason);
        return blobs.UriOf(Containers.Quarantine, target + ".reason.json").ToString();
    }
}
