namespace PlateBlur.Orchestration.Events;

/// <summary>Where PlateBlur's CloudEvents go (bound from the PlateBlur section: PlateBlur__EventGridTopicEndpoint, PlateBlur__EventGridTopicKey).</summary>
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
}
