using Microsoft.DurableTask;

namespace PlateBlur.Orchestration.Activities;

/// <summary>An activity the Durable Task worker runs by name, and the Functions host calls through a thin wrapper.</summary>
public abstract class PipelineActivity<TIn, TOut> : TaskActivity<TIn, TOut>
{
    public override Task<TOut> RunAsync(TaskActivityContext context, TIn input)
    {
        ActivityTrace.Started?.Invoke(context.Name.Name, context.InstanceId);
        return ExecuteAsync(input, CancellationToken.None);
    }

    public abstract Task<TOut> ExecuteAsync(TIn input, CancellationToken ct);
}

/// <summary>A hook told as each pipeline activity starts (activity name, instance id): plateblur serve logs it.</summary>
public static class ActivityTrace
{
    public static Action<string, string>? Started { get; set; }
}
