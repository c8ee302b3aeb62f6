using Microsoft.DurableTask;
using PlateBlur.Orchestration.Events;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 9: one CloudEvent per file to Event Grid (or a logged warning when no topic is configured).</summary>
[DurableTask(Name)]
public sealed class NotifyActivity(EventPublisher publisher) : PipelineActivity<Notification, bool>
{
    public const string Name = "Notify";

    public override async Task<bool> ExecuteAsync(Notification n, CancellationToken ct)
    {
        await publisher.PublishAsync(n, ct);
        return publisher.Configured;
    }
}
