using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Trigger;

/// <summary>Lists inbox/ and starts an orchestration for every blob version not seen yet: the local trigger (plateblur serve, func start
/// without Event Grid). Safe to repeat: the instance id of a blob version is fixed, so nothing starts twice; versions finished earlier
/// (the ledger) or leased by another host are skipped. One bad blob never stops the sweep of the others: each is handled on its own, and a
/// name the storage service cannot even list is stepped over (see <see cref="BlobStore.ListResilientAsync"/>) and reported in quarantine/.</summary>
public sealed class InboxSweeper(BlobStore blobs, InboxStarter starter, ILogger<InboxSweeper> log)
{
    private readonly HashSet<string> _seen = [];

    /// <summary>Names storage could not list in the last sweep.</summary>
    public IReadOnlyList<BlobStore.Unlistable> LastUnlistable { get; private set; } = [];

    /// <summary>Returns the instance ids started in this sweep.</summary>
    /// <param name="prefix">Only blobs under this folder of inbox/ (null: all).</param>
    public async Task<List<string>> SweepAsync(DurableTaskClient client, CancellationToken ct = default, string? prefix = null)
    {
        var started = new List<string>();
        var unlistable = new List<BlobStore.Unlistable>();
        try
        {
            await foreach (var blob in blobs.ListResilientAsync(Containers.Inbox, prefix, unlistable, ct))
            {
                string key = $"{blob.Name}|{blob.Properties.ETag}";
                if (!_seen.Add(key)) continue;
                try
                {
                    var r = await starter.StartAsync(client, blob.Name, blob.Properties.ETag?.ToString() ?? "", blob.Properties.ContentLength ?? 0, ct);
                    if (r.Started) started.Add(r.InstanceId);
                    if (r.Busy) _seen.Remove(key); // another host has it: look again next sweep (it may die)
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _seen.Remove(key);
                    log.LogError(e, "Could not start an orchestration for {Blob}; will retry on the next sweep", blob.Name);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError("Listing {Container}/{Prefix} failed: {Message}; the blobs listed before it were handled, the rest waits for the next sweep",
                Containers.Inbox, prefix, e.Message);
        }
        LastUnlistable = unlistable;
        foreach (var u in unlistable)
        {
            if (u.Skipped) await ReportUnlistableAsync(u.Known, ct);
            else log.LogError("{What}", u.Known);
        }
        return started;
    }

    /// <summary>Writes quarantine/unsafe-names/unlisted-&lt;hash&gt;.reason.json once per unlistable name (the source stays where it is).</summary>
    private async Task ReportUnlistableAsync(string what, CancellationToken ct)
    {
        string name = $"unsafe-names/unlisted-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(what)))[..32]}.reason.json";
        log.LogError("inbox/ holds {What}: it was skipped (rename or delete it); reason in quarantine/{Name}", what, name);
        try
        {
            if (await blobs.PropertiesAsync(Containers.Quarantine, name, ct) != null) return;
            var reason = new { source = what, reason = "the blob name holds a character the storage service cannot list (a control character); the blob was skipped and left in inbox/ untouched: rename or delete it", utc = DateTimeOffset.UtcNow };
            await blobs.UploadTextAsync(JsonSerializer.Serialize(reason, new JsonSerializerOptions { WriteIndented = true }), Containers.Quarantine, name, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Could not write quarantine/{Name}: {Message}", name, e.Message);
        }
    }
}
