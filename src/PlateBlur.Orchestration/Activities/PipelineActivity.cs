using Microsoft.DurableTask;

namespace PlateBlur.Orchestration.Activities;

/// <summary>An activity the Durable Task worker runs by name, and the Functions host calls through a thin wrapper.</summary>
public abstract class PipelineActivity<TIn, TOut> : TaskActivity<TIn, TOut>
{
    public override async Task<TOut> RunAsync(TaskActivityContext context, TIn input)
    {
        string? detail = TraceDetail(input);
        ActivityTrace.Started?.Invoke(context.Name.Name, context.InstanceId, detail);
        try
        {
            return await ExecuteAsync(input, CancellationToken.None);
        }
        catch (Exception e)
        {
            ActivityTrace.Failed?.Invoke(context.Name.Name, context.InstanceId, detail, e);
            throw;
        }
    }

    /// <summary>What the trace adds to the activity's name (e.g. which segment), or null.</summary>
    protected virtual string? TraceDetail(TIn input) => null;

    public abstract Task<TOut> ExecuteAsync(TIn input, CancellationToken ct);
}

/// <summary>A hook told as each pipeline activity starts (activity name, instance id, detail such as "segment 3" or null):
/// plateblur serve logs it, so a log shows which activities and segments ran again after a fault.</summary>
public static class ActivityTrace
{
    public static Action<string, string, string?>? Started { get; set; }
    /// <summary>Told when an activity run throws (the orchestration's retry policy decides what happens next).</summary>
    public static Action<string, string, string?, Exception>? Failed { get; set; }
}
