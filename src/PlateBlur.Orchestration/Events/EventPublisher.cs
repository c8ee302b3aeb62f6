using Azure;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Events;

/// <summary>Publishes PlateBlur's CloudEvents 1.0 to an Event Grid topic; without a topic, logs the event and skips it with a warning.
/// Each event's id is derived from its instance id and type, so an event sent again after a replay or a restart carries the same id.
/// Delivery is tried <see cref="NotificationOptions.NotifyAttempts"/> times with a doubling wait; an event that still cannot be
/// delivered is written to events-failed/&lt;event id&gt;.json (the CloudEvent as it would have been sent), never dropped.</summary>
public sealed class EventPublisher
{
    private readonly EventGridPublisherClient? _client;
    private readonly NotificationOptions _options;
    private readonly BlobStore? _blobs;
    private readonly ILogger<EventPublisher> _log;

    public EventPublisher(NotificationOptions options, ILogger<EventPublisher> log, BlobStore? blobs = null)
    {
        _options = options;
        _log = log;
        _blobs = blobs;
        if (options.NotifyAttempts < 1) throw new InvalidOperationException($"PlateBlur__NotifyAttempts must be at least 1 (got {options.NotifyAttempts}).");
        if (!(options.NotifyRetrySeconds >= 0)) throw new InvalidOperationException($"PlateBlur__NotifyRetrySeconds must be 0 or more (got {options.NotifyRetrySeconds}).");
        if (string.IsNullOrWhiteSpace(options.EventGridTopicEndpoint)) return;
        var endpoint = new Uri(options.EventGridTopicEndpoint);
        // The attempts are ours (counted, logged, then events-failed/): the SDK's own retries are off.
        var clientOptions = new EventGridPublisherClientOptions();
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        _client = string.IsNullOrWhiteSpace(options.EventGridTopicKey)
            ? new EventGridPublisherClient(endpoint, string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
                ? new DefaultAzureCredential() : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId)), clientOptions)
            : new EventGridPublisherClient(endpoint, new AzureKeyCredential(options.EventGridTopicKey), clientOptions);
    }

    public bool Configured => _client != null;

    /// <summary>How the publisher waits between attempts (Task.Delay); a test replaces it to see the waits it asks for.</summary>
    public Func<TimeSpan, CancellationToken, Task> Wait { get; init; } = Task.Delay;

    /// <summary>The wait before attempt <paramref name="attempt"/> (2, 3, …): NotifyRetrySeconds, doubling each time.</summary>
    public TimeSpan WaitBefore(int attempt) => TimeSpan.FromSeconds(_options.NotifyRetrySeconds * Math.Pow(2, attempt - 2));

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The stable id of an event: its instance id and its type (without the "PlateBlur." prefix), e.g. pb-…​.MediaAnonymized.
    /// One orchestration sends at most one event of each type, so the id names it, and a copy sent again is recognisable.</summary>
    public static string EventId(string instanceId, string type) =>
        $"{instanceId}.{(type.StartsWith("PlateBlur.", StringComparison.Ordinal) ? type["PlateBlur.".Length..] : type)}";

    /// <summary>How one PublishAsync ended.</summary>
    public enum Delivery { Sent, NotConfigured, RecordedAsFailed }

    public CloudEvent ToCloudEvent(Notification n)
    {
        var data = BinaryData.FromObjectAsJson(n.Data, Json);
        return new CloudEvent(_options.EventSource, n.Type, data, "application/json", CloudEventDataFormat.Json)
        {
            Id = EventId(n.Data.InstanceId, n.Type),
            Subject = n.Subject,
        };
    }

    /// <summary>Sends the event (retrying); returns how it ended. Throws only when the event can neither be delivered nor recorded
    /// in events-failed/ (the activity's own retry then runs it again).</summary>
    public async Task<Delivery> PublishAsync(Notification n, CancellationToken ct = default)
    {
        var cloudEvent = ToCloudEvent(n);
        if (_client == null)
        {
            _log.LogWarning("No Event Grid topic configured (PlateBlur__EventGridTopicEndpoint): event {Type} for {Subject} was not sent: {Data}",
                n.Type, n.Subject, cloudEvent.Data?.ToString());
            return Delivery.NotConfigured;
        }
        Exception? last = null;
        for (int attempt = 1; attempt <= _options.NotifyAttempts; attempt++)
        {
            if (attempt > 1)
                await Wait(WaitBefore(attempt), ct);
            try
            {
                await _client.SendEventAsync(cloudEvent, ct);
                _log.LogInformation("Sent {Type} for {Subject} (event {Id}, attempt {Attempt})", n.Type, n.Subject, cloudEvent.Id, attempt);
                return Delivery.Sent;
            }
            catch (Exception e) when (!ct.IsCancellationRequested) // refused, unreachable, timed out, bad credentials: all count as not delivered
            {
                last = e;
                _log.LogWarning("Event {Id} ({Type} for {Subject}): attempt {Attempt} of {Attempts} failed: {Message}",
                    cloudEvent.Id, n.Type, n.Subject, attempt, _options.NotifyAttempts, FirstLine(e.Message));
            }
        }
        if (_blobs == null) throw new InvalidOperationException($"Event {cloudEvent.Id} could not be delivered: {last?.Message}", last);
        string name = FailedName(cloudEvent.Id);
        await _blobs.UploadTextAsync(Serialize(cloudEvent), Containers.EventsFailed, name, ct);
        _log.LogError("Event {Id} ({Type} for {Subject}) could not be delivered after {Attempts} attempts ({Message}); recorded in {Container}/{Name}",
            cloudEvent.Id, n.Type, n.Subject, _options.NotifyAttempts, FirstLine(last?.Message ?? ""), Containers.EventsFailed, name);
        return Delivery.RecordedAsFailed;
    }

    /// <summary>events-failed/&lt;event id&gt;.json.</summary>
    public static string FailedName(string eventId) => $"{eventId}.json";

    /// <summary>The CloudEvent in its JSON format (as Event Grid would have received it).</summary>
    public static string Serialize(CloudEvent e)
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("specversion", "1.0");
            w.WriteString("id", e.Id);
            w.WriteString("source", e.Source);
            w.WriteString("type", e.Type);
            if (e.Subject != null) w.WriteString("subject", e.Subject);
            w.WriteString("time", (e.Time ?? DateTimeOffset.UtcNow).ToString("O"));
            if (e.DataContentType != null) w.WriteString("datacontenttype", e.DataContentType);
            if (e.Data != null)
            {
                w.WritePropertyName("data");
                using var doc = System.Text.Json.JsonDocument.Parse(e.Data.ToMemory());
                doc.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
