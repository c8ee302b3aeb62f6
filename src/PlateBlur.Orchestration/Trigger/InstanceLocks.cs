using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs.Specialized;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Trigger;

/// <summary>One host at a time per blob version: before starting an orchestration, a host takes a lease on work/locks/&lt;instanceId&gt;
/// (30 s; Azure allows 15–60) and renews it while the orchestration runs; another host sharing the storage account cannot take it
/// and skips that blob until it is finished (the ledger says so). A host that dies stops renewing: its lease expires and another host
/// takes the work over. The lease is released and the lock blob deleted once the ledger has the outcome.</summary>
public sealed class InstanceLocks : IAsyncDisposable
{
    private readonly BlobStore _blobs;
    private readonly JobLedger _ledger;
    private readonly ILogger<InstanceLocks> _log;
    private readonly TimeSpan _duration;
    private readonly ConcurrentDictionary<string, (BlobLeaseClient Lease, DurableTaskClient? Client)> _held = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _renewer;

    public const int DefaultLeaseSeconds = 30;

    public InstanceLocks(BlobStore blobs, JobLedger ledger, ILogger<InstanceLocks> log, int leaseSeconds = DefaultLeaseSeconds)
    {
        _blobs = blobs; _ledger = ledger; _log = log;
        _duration = TimeSpan.FromSeconds(Math.Clamp(leaseSeconds, 15, 60));
    }

    public TimeSpan Duration => _duration;
    public IReadOnlyCollection<string> Held => _held.Keys.ToList();

    /// <summary>Takes the lease of an instance; false when another host holds it.</summary>
    public async Task<bool> TryAcquireAsync(string instanceId, DurableTaskClient? client, CancellationToken ct = default)
    {
        if (_held.ContainsKey(instanceId)) return true;
        var blob = _blobs.Blob(Containers.Work, WorkNames.Lock(instanceId));
        try
        {
            await blob.UploadAsync(BinaryData.FromString(instanceId), new Azure.Storage.Blobs.Models.BlobUploadOptions
            { Conditions = new Azure.Storage.Blobs.Models.BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412) { } // exists (maybe leased): fine
        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(_duration, cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
        _held[instanceId] = (lease, client);
        lock (_stop) _renewer ??= Task.Run(RenewLoopAsync);
        return true;
    }

    /// <summary>Gives the lease of an instance back and deletes its lock blob.</summary>
    public async Task ReleaseAsync(string instanceId, CancellationToken ct = default)
    {
        if (!_held.TryRemove(instanceId, out var h)) return;
        try
        {
            await _blobs.Blob(Containers.Work, WorkNames.Lock(instanceId)).DeleteIfExistsAsync(
                conditions: new Azure.Storage.Blobs.Models.BlobRequestConditions { LeaseId = h.Lease.LeaseId }, cancellationToken: ct);
        }
        catch (RequestFailedException e)
        {
            _log.LogWarning("Could not delete the lock of {Id}: {Message}", instanceId, e.Message);
            try { await h.Lease.ReleaseAsync(cancellationToken: ct); } catch (RequestFailedException) { }
        }
    }

    /// <summary>Renews every held lease at a third of its duration; drops the ones whose orchestration is finished.</summary>
    public async Task RenewAsync(CancellationToken ct = default)
    {
        foreach (var (id, h) in _held.ToList())
        {
            try
            {
                bool finished = await _ledger.IsDoneAsync(id, ct);
                if (!finished && h.Client != null)
                {
                    var m = await h.Client.GetInstanceAsync(id, ct);
                    finished = m != null && m.IsCompleted;
                }
                if (finished) { await ReleaseAsync(id, ct); continue; }
                await h.Lease.RenewAsync(cancellationToken: ct);
            }
            catch (RequestFailedException e)
            {
                _log.LogError("Lost the lease of {Id} ({Message}); another host may take this blob over", id, e.Message);
                _held.TryRemove(id, out _);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Could not renew the lease of {Id}: {Message}", id, e.Message);
            }
        }
    }

    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(_duration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) await RenewAsync(_stop.Token);
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_renewer != null) await _renewer;
        foreach (var id in _held.Keys.ToList())
        {
            try { await ReleaseAsync(id); } catch { }
        }
        _stop.Dispose();
    }
}
