namespace PlateBlur.Orchestration.Events;

/// <summary>Where PlateBlur's CloudEvents go (bound from the PlateBlur section: PlateBlur__EventGridTopicEndpoint, PlateBlur__EventGridTopicKey, …).</summary>
public sealed record NotificationOptions
{
    /// <summary>The Event Grid topic endpoint; empty = events are logged and skipped.</summary>
    public string? EventGridTopicEndpoint { get; init; }
    /// <summary>An access key; empty = the managed identity (Event Grid Data Sender role) is used.</summary>
    public string? EventGridTopicKey { get; init; }
    /// <summary>Client id of a user-assigned managed identity; empty = the default credential chain.</summary>
    public string? ManagedIdentityClientId { get; init; }
    /// <summary>The CloudEvents "source" attribute.</summary>
    public string EventSource { get; init; } = "/plateblur";
    /// <summary>Delivery attempts per event before it is written to the events-failed/ container instead (at least 1).</summary>
    public int NotifyAttempts { get; init; } = 5;
    /// <summary>Wait before the second attempt, in seconds; doubled before each further one (2, 4, 8, 16 s by default: 30 s in all).</summary>
    public double NotifyRetrySeconds { get; init; } = 2;
}
