using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;

namespace PlateBlur.Orchestration.Storage;

/// <summary>Durable memory of finished orchestrations: work/ledger/&lt;instanceId&gt;.json, written as an orchestration ends (whatever the outcome).
/// The inbox sweep and trigger skip an instance id that has an entry, so a restarted host (whose Durable Task backend may have forgotten
/// everything) never runs a blob version twice, rewrites its outputs or re-sends its event. Cleanup never removes it (it is outside work/&lt;id&gt;/).</summary>
public sealed class JobLedger(BlobStore blobs)
{
    public sealed record Entry(string InstanceId, string Source, string ETag, string Status, string? Output, string? Reason, DateTimeOffset Utc);

    public async Task<Entry?> GetAsync(string instanceId, CancellationToken ct = default)
    {
        try
        {
            var text = await blobs.ReadTextAsync(Containers.Work, WorkNames.Ledger(instanceId), ct);
            return JsonSerializer.Deserialize<Entry>(text);
        }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public async Task<bool> IsDoneAsync(string instanceId, CancellationToken ct = default) =>
        await blobs.PropertiesAsync(Containers.Work, WorkNames.Ledger(instanceId), ct) != null;

    public Task RecordAsync(Entry entry, CancellationToken ct = default) =>
        blobs.UploadTextAsync(JsonSerializer.Serialize(entry, new JsonSerializerOptions { WriteIndented = true }), Containers.Work, WorkNames.Ledger(entry.InstanceId), ct);
}
