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
        var photo = await h.UploadAsync(PlatePhotos.QcCleanPhoto(), "resumed.jpg");
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

    [StorageFact]
    public async Task Publish_run_again_by_the_same_run_leaves_the_output_as_it_was_and_another_run_replaces_it()
    {
        // The chaos run saw outbox/p00.jpg written twice: serve was killed while Publish ran, and the restarted host ran Publish again.
        await using var h = await PipelineHarness.StartAsync();
        string work = $"{h.Prefix}/publish-twice.out.json", name = $"{h.Prefix}/publish-twice.json";
        await h.Blobs.UploadTextAsync("{\"output\": 1}", Containers.Work, work);
        var version = new SourceVersion("0x8DEADBEEF", DateTimeOffset.UtcNow);
        Assert.True(await h.Blobs.PublishVersionedAsync(Containers.Work, work, Containers.Outbox, name, version, current: true, run: "pb-run-a"));
        var first = (await h.Blobs.PropertiesAsync(Containers.Outbox, name))!.ETag;
        Assert.True(await h.Blobs.PublishVersionedAsync(Containers.Work, work, Containers.Outbox, name, version, current: true, run: "pb-run-a"));
        Assert.Equal(first, (await h.Blobs.PropertiesAsync(Containers.Outbox, name))!.ETag);   // not written again
        Assert.True(await h.Blobs.PublishVersionedAsync(Containers.Work, work, Containers.Outbox, name, version, current: true, run: "pb-run-b"));
        Assert.NotEqual(first, (await h.Blobs.PropertiesAsync(Containers.Outbox, name))!.ETag); // a reviewer's release of the same version replaces it
        await h.Blobs.DeleteAsync(Containers.Outbox, name);
        await h.Blobs.DeleteAsync(Containers.Work, work);
    }

    [StorageFact]
    public async Task Quarantine_run_again_by_the_same_run_writes_nothing_twice_and_another_run_replaces_it()
    {
        // The chaos run in CI saw quarantine/chaos/x01-truncated-moov.mp4 and its reason written twice: the Quarantine activity's first
        // completion was lost while Azurite was down, and the message was delivered again.
        await using var h = await PipelineHarness.StartAsync();
        var bad = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[0].Image, "quarantine-twice.mp4");
        var log = Microsoft.Extensions.Logging.Abstractions.NullLogger<PlateBlur.Orchestration.Activities.QuarantineActivity>.Instance;
        var activity = new PlateBlur.Orchestration.Activities.QuarantineActivity(h.Blobs, log);
        async Task<(string Copy, string Reason)> ETags() =>
            ((await h.Blobs.PropertiesAsync(Containers.Quarantine, bad.Name))!.ETag.ToString(),
             (await h.Blobs.PropertiesAsync(Containers.Quarantine, bad.Name + ".reason.json"))!.ETag.ToString());
        var work = new QuarantineWork("pb-quarantine-a", bad.Name, "not a supported media container", "not-media");
        await activity.ExecuteAsync(work, CancellationToken.None);
        var first = await ETags();
        await activity.ExecuteAsync(work, CancellationToken.None);
        Assert.Equal(first, await ETags());                                   // failed before: both blobs written again
        await activity.ExecuteAsync(work with { InstanceId = "pb-quarantine-b" }, CancellationToken.None);
        var other = await ETags();
        Assert.NotEqual(first.Copy, other.Copy);                              // another run (a new upload of the name) replaces them
        Assert.NotEqual(first.Reason, other.Reason);
        foreach (var n in new[] { bad.Name, bad.Name + ".reason.json" }) await h.Blobs.DeleteAsync(Containers.Quarantine, n);
    }

    /// <summary>The chaos run in CI saw quarantine/chaos/x00-hls-local.mp4.reason.json written twice: the activity checked the run tag and
    /// then wrote unconditionally, so a second execution of the same run (delivered again while storage restarted) or the storage client's
    /// retry of a write whose reply was lost could write between the check and the write. Executions racing each other now write once.</summary>
    [StorageFact]
    public async Task Quarantine_executions_of_one_run_racing_each_other_write_each_blob_once()
    {
        await using var h = await PipelineHarness.StartAsync();
        var bad = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[0].Image, "quarantine-race.mp4");
        var log = new WriteCounter();
        var activity = new PlateBlur.Orchestration.Activities.QuarantineActivity(h.Blobs, log);
        var work = new QuarantineWork("pb-quarantine-race", bad.Name, "not a supported media container", "not-media");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => activity.ExecuteAsync(work, CancellationToken.None))));
        Assert.Equal(1, log.Quarantined);                                    // failed before: several executions passed the check and wrote
        var reason = (await h.Blobs.PropertiesAsync(Containers.Quarantine, bad.Name + ".reason.json"))!;
        Assert.True(BlobStore.WrittenBy(reason, work.InstanceId));
        Assert.True(BlobStore.WrittenBy(await h.Blobs.PropertiesAsync(Containers.Quarantine, bad.Name), work.InstanceId));
        foreach (var n in new[] { bad.Name, bad.Name + ".reason.json" }) await h.Blobs.DeleteAsync(Containers.Quarantine, n);
    }

    /// <summary>The primitive under it: a write that meets a blob this run wrote after it looked (another execution, or its own earlier request
    /// whose reply was lost) is refused by the condition and leaves that blob as it is; a blob of another run is replaced.</summary>
    [StorageFact]
    public async Task A_write_once_per_run_refused_by_its_condition_leaves_the_runs_blob_and_replaces_another_runs()
    {
        await using var h = await PipelineHarness.StartAsync();
        string name = $"{h.Prefix}/write-once.json";
        Dictionary<string, string> Tag(string run) => new() { [BlobStore.RunKey] = run };
        Azure.ETag? inner = null;
        // Between this execution's look (no blob) and its write, the run's other execution writes the blob.
        bool wrote = await h.Blobs.WriteOncePerRunAsync(Containers.Quarantine, name, "run-a", async c =>
        {
            if (inner == null)
            {
                await h.Blobs.UploadTextAsync("other execution", Containers.Quarantine, name, default, Tag("run-a"));
                inner = (await h.Blobs.PropertiesAsync(Containers.Quarantine, name))!.ETag;
            }
            await h.Blobs.UploadTextAsync("this execution", Containers.Quarantine, name, default, Tag("run-a"), c);
        });
        Assert.False(wrote);
        Assert.Equal(inner, (await h.Blobs.PropertiesAsync(Containers.Quarantine, name))!.ETag);
        Assert.Equal("other execution", await h.Blobs.ReadTextAsync(Containers.Quarantine, name));
        // Another run (a new upload under the same name) replaces it.
        Assert.True(await h.Blobs.WriteOncePerRunAsync(Containers.Quarantine, name, "run-b",
            c => h.Blobs.UploadTextAsync("run b", Containers.Quarantine, name, default, Tag("run-b"), c)));
        Assert.Equal("run b", await h.Blobs.ReadTextAsync(Containers.Quarantine, name));
        await h.Blobs.DeleteAsync(Containers.Quarantine, name);
    }

    /// <summary>Counts the Quarantine activity's "quarantined" warnings: one per execution that wrote.</summary>
    private sealed class WriteCounter : Microsoft.Extensions.Logging.ILogger<PlateBlur.Orchestration.Activities.QuarantineActivity>
    {
        private int _quarantined;
        public int Quarantined => Volatile.Read(ref _quarantined);
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning && formatter(state, exception).Contains(" quarantined (")) Interlocked.Increment(ref _quarantined);
        }
    }

    [Fact]
    public void An_activity_run_after_its_jobs_cleanup_leaves_no_job_folder_behind()
    {
        // The chaos run in CI found an empty local job folder: an activity delivered again after the job's Cleanup recreated it.
        using var root = TestEnv.TempDir();
        var sibling = new LocalWork("pb-late", "ProcessSegment", root.Path);
        using (var late = new LocalWork("pb-late", "Probe", root.Path)) File.WriteAllText(late.File("x"), "x");
        Assert.True(Directory.Exists(sibling.InstancePath));              // a sibling still running keeps the job folder
        sibling.Dispose();
        Assert.False(Directory.Exists(sibling.InstancePath));             // failed before: the empty job folder stayed
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Path));
    }
}
