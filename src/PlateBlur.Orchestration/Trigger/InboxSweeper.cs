using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Trigger;

/// <summary>Lists inbox/ and starts an orchestration for every blob version not seen yet: the local trigger (plateblur serve, func start
/// without Event Grid). Safe to repeat: the instance id of a blob version is fixed, so nothing starts twice.</summary>
public sealed class InboxSweeper(BlobStore blobs, InboxStarter starter, ILogger<InboxSweeper> log)
{
    private readonly HashSet<string> _seen = [];

    /// <summary>Returns the instance ids started in this sweep.</summary>
    /// <param name="prefix">Only blobs under this folder of inbox/ (null: all).</param>
    public async Task<List<string>> SweepAsync(DurableTaskClient client, CancellationToken ct = default, string? prefix = null)
    {
        var started = new List<string>();
        await foreach (var blob in blobs.ListAsync(Containers.Inbox, prefix, ct))
        {
            string key = $"{blob.Name}|{blob.Properties.ETag}";
            if (!_seen.Add(key)) continue;
            try
            {
                var (id, isNew) = await starter.StartAsync(client, blob.Name, blob.Properties.ETag?.ToString() ?? "", blob.Properties.ContentLength ?? 0, ct);
                if (isNew) started.Add(id);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _seen.Remove(key);
                log.LogError(e, "Could not start an orchestration for {Blob}; will retry on the next sweep", blob.Name);
            }
        }
        return started;
    }
}
