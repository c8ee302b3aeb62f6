using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PlateBlur.Orchestration.Storage;

/// <summary>Bytes this process read from blob storage, by run (instance id), activity and container: every SDK download and ranged
/// read of <see cref="BlobStore"/>, and the bytes ffmpeg read from a source over HTTP(S) (<see cref="Core.Media.RemoteMedia"/>).
/// The activity and run come from the scope <see cref="Activities.PipelineActivity{TIn,TOut}"/> opens around each activity.</summary>
public static class StorageReads
{
    private static readonly AsyncLocal<(string InstanceId, string Activity, string Name)?> Current = new();
    private static readonly ConcurrentDictionary<(string InstanceId, string Activity, string Container), long> Totals = new();

    /// <summary>Bytes read from storage; tags activity and container.</summary>
    public static readonly Counter<long> Bytes = PipelineTelemetry.Meter.CreateCounter<long>("plateblur.storage.read_bytes", "By", "Bytes read from blob storage, by activity and container");

    static StorageReads()
    {
        // ffmpeg's reads of a source in place are the inbox's bytes too.
        Core.Media.RemoteMedia.BytesRead += n => Add(Containers.Inbox, n);
    }

    /// <summary>Attributes reads in this async flow to one activity of one run (with its detail, e.g. "ProcessSegment segment 3"), until disposed.</summary>
    public static IDisposable Scope(string instanceId, string activity, string? detail = null)
    {
        var previous = Current.Value;
        Current.Value = (instanceId, detail == null ? activity : $"{activity} {detail}", activity);
        return new Restore(previous);
    }

    private sealed class Restore((string, string, string)? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }

    public static void Add(string container, long bytes)
    {
        if (bytes <= 0) return;
        var (id, activity, name) = Current.Value ?? ("", "", "");
        Totals.AddOrUpdate((id, activity, container), bytes, (_, v) => v + bytes);
        Bytes.Add(bytes, new KeyValuePair<string, object?>("activity", name), new KeyValuePair<string, object?>("container", container));
    }

    /// <summary>Bytes read so far in the current scope's activity from <paramref name="container"/> (null: all containers).</summary>
    public static long InScope(string? container = null)
    {
        if (Current.Value is not var (id, activity, _)) return 0;
        return Totals.Where(kv => kv.Key.InstanceId == id && kv.Key.Activity == activity && (container == null || kv.Key.Container == container)).Sum(kv => kv.Value);
    }

    /// <summary>What one run read, per activity (with its detail: one entry per segment) and container.</summary>
    public static IReadOnlyDictionary<(string Activity, string Container), long> Of(string instanceId) =>
        Totals.Where(kv => kv.Key.InstanceId == instanceId).ToDictionary(kv => (kv.Key.Activity, kv.Key.Container), kv => kv.Value);
}
