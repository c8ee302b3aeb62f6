using Azure.Storage.Blobs.Specialized;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

namespace PlateBlur.Orchestration.Tests;

/// <summary>Defects the chaos run (tests/PlateBlur.Cli.Tests/Chaos) pointed at, one regression test each.</summary>
public class ChaosRegressionTests
{
    /// <summary>serve killed -9 holds leases on work/locks/&lt;id&gt; that nobody renews or releases; the restarted serve resumes those
    /// orchestrations from the durable backend without taking their leases. When such a run ended within the dead host's lease, Cleanup
    /// met a 412 and left the lock blob behind for ever (an orphan in work/).</summary>
    [StorageFact]
    public async Task A_lock_leased_by_a_host_that_died_is_removed_when_the_resumed_run_ends()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SourcePolicy"] = "keep" });
        var photo = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image, "resumed.jpg");
        string id = InboxStarter.InstanceIdFor(photo.Name, photo.ETag);
        // The dead host's lease: 60 s, never renewed, never released.
        var lockBlob = h.Blobs.Blob(Containers.Work, WorkNames.Lock(id));
        await lockBlob.UploadAsync(BinaryData.FromString(id), overwrite: true);
        await lockBlob.GetBlobLeaseClient().AcquireAsync(TimeSpan.FromSeconds(60));
        // The orchestration goes on in another process (as the durable backend resumes it), without the starter's lease.
        await h.Client.ScheduleNewOrchestrationInstanceAsync(AnonymizeMediaOrchestrator.Name,
            new MediaJob(id, photo.Name, photo.ETag.Trim('"'), photo.Size, h.Starter.Settings), new StartOrchestrationOptions(id));
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var m = await h.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
        Assert.Equal("anonymized", m.ReadOutputAs<MediaOutcome>()!.Status);
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Work, WorkNames.Ledger(id)));
        Assert.Null(await h.Blobs.PropertiesAsync(Containers.Work, WorkNames.Lock(id))); // failed before: the leased lock stayed
    }
}
