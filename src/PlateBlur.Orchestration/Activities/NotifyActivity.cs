using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Events;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 9: one CloudEvent per file to Event Grid (or a logged warning when no topic is configured). An endpoint that stays
/// unreachable through every attempt does not fail the run: the event is written to events-failed/ and the orchestration goes on.
/// Returns true when the event was delivered.</summary>
[DurableTask(Name)]
public sealed class NotifyActivity(EventPublisher publisher, ILogger<NotifyActivity> log) : PipelineActivity<Notification, bool>(log)
{
    public const string Name = "Notify";

    public override async Task<bool> ExecuteAsync(Notification n, CancellationToken ct)
    {
        var delivery = await publisher.PublishAsync(n, ct);
        Tag("blob", n.Data.Input); Tag("event_type", n.Type); Tag("delivery", delivery.ToString());
        log.LogInformation("{InstanceId}: {EventType} for {Blob} ({Delivery})", n.Data.InstanceId, n.Type, n.Data.Input, delivery);
        return delivery == EventPublisher.Delivery.Sent;
    }
}
