using Azure;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Logging;

namespace PlateBlur.Orchestration.Events;

/// <summary>Publishes PlateBlur's CloudEvents 1.0 to an Event Grid topic; without a topic, logs the event and skips it with a warning.</summary>
public sealed class EventPublisher
{
    private readonly EventGridPublisherClient? _client;
    private readonly NotificationOptions _options;
    private readonly ILogger<EventPublisher> _log;

    public EventPublisher(NotificationOptions options, ILogger<EventPublisher> log)
    {
        _options = options;
        _log = log;
        if (string.IsNullOrWhiteSpace(options.EventGridTopicEndpoint)) return;
        var endpoint = new Uri(options.EventGridTopicEndpoint);
        _client = string.IsNullOrWhiteSpace(options.EventGridTopicKey)
            ? new EventGridPublisherClient(endpoint, string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
                ? new DefaultAzureCredential() : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId)))
            : new EventGridPublisherClient(endpoint, new AzureKeyCredential(options.EventGridTopicKey));
    }

    public bool Configured => _client != null;

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public async Task PublishAsync(Notification n, CancellationToken ct = default)
    {
        var data = BinaryData.FromObjectAsJson(n.Data, Json);
        var cloudEvent = new CloudEvent(_options.EventSource, n.Type, data, "application/json", CloudEventDataFormat.Json) { Subject = n.Subject };
        if (_client == null)
        {
            _log.LogWarning("No Event Grid topic configured (PlateBlur__EventGridTopicEndpoint): event {Type} for {Subject} was not sent: {Data}",
                n.Type, n.Subject, data.ToString());
            return;
        }
        await _client.SendEventAsync(cloudEvent, ct);
        _log.LogInformation("Sent {Type} for {Subject}", n.Type, n.Subject);
    }
}
