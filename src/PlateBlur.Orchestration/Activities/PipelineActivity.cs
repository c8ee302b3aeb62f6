using System.Diagnostics;
using System.Reflection;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace PlateBlur.Orchestration.Activities;

/// <summary>An activity the Durable Task worker runs by name, and the Functions host calls through a thin wrapper.
/// Both go through <see cref="RunTracedAsync"/>: one span under the file's orchestration span (<see cref="PipelineTelemetry"/>), a logging
/// scope with the instance id and activity name, and a failure logged whole (the exception object, not only its message) before it is rethrown.</summary>
public abstract class PipelineActivity<TIn, TOut>(ILogger log) : TaskActivity<TIn, TOut>
{
    protected ILogger Log => log;

    /// <summary>The activity's name, from its [DurableTask] attribute.</summary>
    public string ActivityName => GetType().GetCustomAttribute<DurableTaskAttribute>()?.Name.Name ?? GetType().Name;

    public override Task<TOut> RunAsync(TaskActivityContext context, TIn input) => RunTracedAsync(context.InstanceId, input, CancellationToken.None);

    public async Task<TOut> RunTracedAsync(string instanceId, TIn input, CancellationToken ct)
    {
        string name = ActivityName;
        string? detail = TraceDetail(input);
        ActivityTrace.Started?.Invoke(name, instanceId, detail);
        using var span = PipelineTelemetry.StartActivitySpan(name, instanceId, (input as Traced)?.TraceParent);
        using var scope = log.BeginScope(new Dictionary<string, object?> { ["InstanceId"] = instanceId, ["Activity"] = name, ["TraceId"] = span?.TraceId.ToHexString() });
        using var reads = Storage.StorageReads.Scope(instanceId, name, detail);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await ExecuteAsync(input, ct);
            // What this run of the activity read from storage (the metric plateblur.storage.read_bytes has it by activity and container).
            Tag("storage_read_bytes", Storage.StorageReads.InScope()); Tag("source_read_bytes", Storage.StorageReads.InScope(Containers.Inbox));
            return result;
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            span?.AddException(e);
            log.LogError(e, "{InstanceId}: activity {Activity} failed after {DurationSeconds:F2} s", instanceId, name, clock.Elapsed.TotalSeconds);
            ActivityTrace.Failed?.Invoke(name, instanceId, detail, e);
            throw;
        }
    }

    /// <summary>What the trace adds to the activity's name (e.g. which segment), or null.</summary>
    protected virtual string? TraceDetail(TIn input) => null;

    public abstract Task<TOut> ExecuteAsync(TIn input, CancellationToken ct);

    /// <summary>Named facts of this run on its span (the same names as the log fields, prefixed plateblur.).</summary>
    protected static void Tag(string key, object? value) => Activity.Current?.SetTag("plateblur." + key, value);
}

/// <summary>A hook told as each pipeline activity starts (activity name, instance id, detail such as "segment 3" or null):
/// plateblur serve logs it, so a log shows which activities and segments ran again after a fault.</summary>
public static class ActivityTrace
{
    public static Action<string, string, string?>? Started { get; set; }
    /// <summary>Told when an activity run throws (the orchestration's retry policy decides what happens next).</summary>
    public static Action<string, string, string?, Exception>? Failed { get; set; }
}
