using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Events;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 9: one CloudEvent per file to Event Grid (or a logged warning when no topic is configured).</summary>
[DurableTask(Name)]
public sealed class NotifyActivity(EventPublisher publisher, ILogger<NotifyActivity> log) : PipelineActivity<Notification, bool>(log)
{
    public const string Name = "Notify";

    public override async Task<bool> ExecuteAsync(Notification n, CancellationToken ct)
    {
        await publisher.PublishAsync(n, ct);
        Tag("blob", n.Data.Input); Tag("event_type", n.Type);
        log.LogInformation("{InstanceId}: {EventType} for {Blob} ({Sent})", n.Data.InstanceId, n.Type, n.Data.Input, publisher.Configured ? "sent" : "no topic configured, logged only");
        return publisher.Configured;
    }
}
