using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using PlateBlur.Orchestration.Events;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

namespace PlateBlur.Orchestration.Tests;

/// <summary>Notifications survive an unreachable Event Grid endpoint (issue 13): retried with a doubling wait, then recorded in
/// events-failed/ under the event's stable id, and the orchestration still completes.</summary>
public class NotificationTests
{
    private static Notification Sample(string instanceId, string type = EventTypes.MediaAnonymized) =>
        new(type, $"inbox/{instanceId}.mp4", new MediaEventData(instanceId, $"{instanceId}.mp4", "video", "out", "rep", null, 90, 12, 2, 3, 3.0, 10, new QcSummary(true, 12, 0), null, "deleted"));

    private static EventPublisher Publisher(string endpoint, BlobStore blobs, int attempts = 4, double retrySeconds = 0.05) =>
        new(new NotificationOptions { EventGridTopicEndpoint = endpoint, EventGridTopicKey = "k", NotifyAttempts = attempts, NotifyRetrySeconds = retrySeconds },
            NullLogger<EventPublisher>.Instance, blobs);

    private static async Task<BlobStore> Blobs()
    {
        var blobs = new BlobStore(new Azure.Storage.Blobs.BlobServiceClient(TestEnv.Storage));
        await blobs.EnsureContainersAsync();
        return blobs;
    }

    [Fact]
    public void Event_ids_are_stable_per_instance_and_type()
    {
        Assert.Equal("pb-0123.MediaAnonymized", EventPublisher.EventId("pb-0123", EventTypes.MediaAnonymized));
        Assert.NotEqual(EventPublisher.EventId("pb-0123", EventTypes.QcFailed), EventPublisher.EventId("pb-0123", EventTypes.AnonymizationFailed));
        var p = new EventPublisher(new NotificationOptions(), NullLogger<EventPublisher>.Instance);
        Assert.Equal(p.ToCloudEvent(Sample("pb-77")).Id, p.ToCloudEvent(Sample("pb-77")).Id); // not a new GUID per send
        Assert.Throws<InvalidOperationException>(() => new EventPublisher(new NotificationOptions { NotifyAttempts = 0 }, NullLogger<EventPublisher>.Instance));
    }

    [StorageFact]
    public async Task An_endpoint_failing_the_first_requests_gets_the_event_on_a_later_attempt()
    {
        using var sink = new EventSink();
        sink.FailNext(3);
        var blobs = await Blobs();
        string id = "pb-retry-" + Guid.NewGuid().ToString("N")[..8];
        var waits = new List<TimeSpan>();
        var publisher = new EventPublisher(new NotificationOptions { EventGridTopicEndpoint = sink.Endpoint, EventGridTopicKey = "k", NotifyAttempts = 4, NotifyRetrySeconds = 0.05 },
            NullLogger<EventPublisher>.Instance, blobs) { Wait = (t, ct) => { waits.Add(t); return Task.Delay(t, ct); } };
        var result = await publisher.PublishAsync(Sample(id));
        Assert.Equal(EventPublisher.Delivery.Sent, result);
        Assert.Equal(4, sink.Requests); // three refused, the fourth delivered
        Assert.Equal(3, sink.Refused);
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventPublisher.EventId(id, EventTypes.MediaAnonymized), e.GetProperty("id").GetString());
        Assert.Equal([0.05, 0.1, 0.2], waits.Select(w => Math.Round(w.TotalSeconds, 3))); // one wait before each retry, doubling
        Assert.Null(await blobs.PropertiesAsync(Containers.EventsFailed, EventPublisher.FailedName(EventPublisher.EventId(id, EventTypes.MediaAnonymized))));
    }

    [StorageFact]
    public async Task An_endpoint_that_stays_down_or_is_not_listening_gets_the_event_recorded_in_events_failed()
    {
        var blobs = await Blobs();
        using var sink = new EventSink { Down = true };
        string refusing = "pb-down-" + Guid.NewGuid().ToString("N")[..8];
        string closed = "pb-closed-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(EventPublisher.Delivery.RecordedAsFailed, await Publisher(sink.Endpoint, blobs, attempts: 3).PublishAsync(Sample(refusing, EventTypes.QcFailed)));
        Assert.Equal(3, sink.Refused);
        // Nothing listens on this port at all (connection refused).
        string nobody = $"http://127.0.0.1:{PipelineServices.FreeLoopbackPort()}/api/events";
        Assert.Equal(EventPublisher.Delivery.RecordedAsFailed, await Publisher(nobody, blobs, attempts: 2).PublishAsync(Sample(closed)));

        foreach (var (instance, type) in new[] { (refusing, EventTypes.QcFailed), (closed, EventTypes.MediaAnonymized) })
        {
            string eventId = EventPublisher.EventId(instance, type);
            using var doc = JsonDocument.Parse(await blobs.ReadTextAsync(Containers.EventsFailed, EventPublisher.FailedName(eventId)));
            var e = doc.RootElement;
            Assert.Equal(eventId, e.GetProperty("id").GetString());
            Assert.Equal("1.0", e.GetProperty("specversion").GetString());
            Assert.Equal(type, e.GetProperty("type").GetString());
            Assert.Equal($"inbox/{instance}.mp4", e.GetProperty("subject").GetString());
            Assert.Equal(instance, e.GetProperty("data").GetProperty("instanceId").GetString());
            Assert.Equal(12, e.GetProperty("data").GetProperty("masks").GetInt64());
        }
    }

    [StorageFact]
    public async Task An_orchestration_completes_when_its_event_cannot_be_delivered_and_the_event_is_in_events_failed()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:NotifyAttempts"] = "2", ["PlateBlur:NotifyRetrySeconds"] = "0.1", ["PlateBlur:SourcePolicy"] = "keep" });
        h.Sink.Down = true;
        var photo = await h.UploadAsync(PlatePhotos.QcCleanPhoto(), "unreachable.jpg");
        var m = await h.RunAsync(photo.Name, photo.ETag, photo.Size, TimeSpan.FromMinutes(3));
        Assert.True(m.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{m.RuntimeStatus}: {m.FailureDetails?.ErrorMessage}");
        var outcome = m.ReadOutputAs<MediaOutcome>()!;
        Assert.Equal("anonymized", outcome.Status);
        Assert.Contains(photo.Name, await h.ListAsync(Containers.Outbox));
        Assert.True(h.Sink.Refused >= 2);
        Assert.Empty(h.Sink.Events);
        string id = InboxStarter.InstanceIdFor(photo.Name, photo.ETag);
        string eventId = EventPublisher.EventId(id, EventTypes.MediaAnonymized);
        using var doc = JsonDocument.Parse(await h.Blobs.ReadTextAsync(Containers.EventsFailed, EventPublisher.FailedName(eventId)));
        Assert.Equal(eventId, doc.RootElement.GetProperty("id").GetString());
        Assert.Equal($"inbox/{photo.Name}", doc.RootElement.GetProperty("subject").GetString());
        Assert.Equal("kept", doc.RootElement.GetProperty("data").GetProperty("sourcePolicy").GetString());
    }
}
