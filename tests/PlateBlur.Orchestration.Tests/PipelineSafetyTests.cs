using System.Collections.Concurrent;
using Azure.Storage.Blobs.Specialized;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using PlateBlur.Orchestration.Activities;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

namespace PlateBlur.Orchestration.Tests;

/// <summary>Issue 13 (hostile probe): re-upload races, restarts, two hosts on one account. Real orchestrator, activities and Azurite.</summary>
public class PipelineSafetyTests
{
    /// <summary>The real QC activity, held at its start for the instances a test names until the test lets it go (explicit synchronisation).</summary>
    /// <summary>A gate an instrumented activity stops at: Reached when it got there, Release to let it go on.</summary>
    private static (TaskCompletionSource Reached, TaskCompletionSource Release) NewGate() =>
        (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class GatedQc(QcSampleActivity real) : TaskActivity<QcWork, QcOutcome>
    {
        public static readonly ConcurrentDictionary<string, (TaskCompletionSource Reached, TaskCompletionSource Release)> Gates = new();

        public override async Task<QcOutcome> RunAsync(TaskActivityContext context, QcWork input)
        {
            if (Gates.TryGetValue(input.InstanceId, out var g))
            {
                g.Reached.TrySetResult();
                await g.Release.Task;
            }
            return await real.ExecuteAsync(input, default);
        }
    }

    /// <summary>The real probe, holding its result for the instances a test names until the test lets it go.</summary>
    private sealed class GatedProbe(ProbeActivity real) : TaskActivity<MediaJob, ProbeOutcome>
    {
        public static readonly ConcurrentDictionary<string, (TaskCompletionSource Reached, TaskCompletionSource Release)> Gates = new();
        public static int Calls;

        public override async Task<ProbeOutcome> RunAsync(TaskActivityContext context, MediaJob input)
        {
            Interlocked.Increment(ref Calls);
            var result = await real.ExecuteAsync(input, default);
            if (Gates.TryGetValue(input.InstanceId, out var g))
            {
                g.Reached.TrySetResult();
                await g.Release.Task;
            }
            return result;
        }
    }

    /// <summary>The real AnonymizePhoto, counting its attempts per instance (a retried activity runs again).</summary>
    private sealed class CountedPhoto(AnonymizePhotoActivity real) : TaskActivity<PhotoWork, PhotoOutcome>
    {
        public static readonly ConcurrentDictionary<string, int> Attempts = new();

        public override Task<PhotoOutcome> RunAsync(TaskActivityContext context, PhotoWork input)
        {
            Attempts.AddOrUpdate(input.InstanceId, 1, (_, n) => n + 1);
            return real.ExecuteAsync(input, default);
        }
    }

    /// <summary>Distinct photos that QC passes with a wide margin (the tests here expect them published).</summary>
    private static string Photo(int i) => PlatePhotos.QcCleanPhotos()[i - 2];

    private static async Task<MediaOutcome> Done(PipelineHarness h, string id)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var m = await h.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
        Assert.True(m.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{m.RuntimeStatus}: {m.FailureDetails?.ErrorMessage}");
        return m.ReadOutputAs<MediaOutcome>()!;
    }

    [StorageFact]
    public async Task A_run_overtaken_by_a_re_upload_does_not_publish_over_the_newer_output()
    {
        await using var h = await PipelineHarness.StartAsync(null, r => r.AddActivity(QcSampleActivity.Name, typeof(GatedQc)), [QcSampleActivity.Name]);
        var a = await h.UploadAsync(Photo(2), "race.jpg");
        string idA = InboxStarter.InstanceIdFor(a.Name, a.ETag);
        var gate = NewGate();
        GatedQc.Gates[idA] = gate;
        try
        {
            Assert.True((await h.Starter.StartAsync(h.Client, a.Name, a.ETag, a.Size)).Started);
            await gate.Reached.Task.WaitAsync(TimeSpan.FromMinutes(3)); // version A is anonymized and about to be checked

            var b = await h.UploadAsync(Photo(3), "race.jpg");          // the re-upload
            Assert.NotEqual(a.ETag, b.ETag);
            var (idB, startedB) = await h.Starter.StartAsync(h.Client, b.Name, b.ETag, b.Size);
            Assert.True(startedB);
            var outB = await Done(h, idB);
            Assert.Equal("anonymized", outB.Status);                    // B published and deleted its source
            Assert.Null(await h.Blobs.PropertiesAsync(Containers.Inbox, b.Name));

            gate.Release.SetResult();                                   // now the old run goes on to publish
            var outA = await Done(h, idA);
            Assert.Equal("superseded", outA.Status);
            Assert.Null(outA.Output);
            Assert.Equal("kept", outA.SourcePolicy);

            // outbox/ holds B's output, report and contact sheet (they name B's version), and only B's success event was sent.
            foreach (var name in new[] { b.Name, b.Name + ".report.json", b.Name + ".qc.png" })
            {
                var p = (await h.Blobs.PropertiesAsync(Containers.Outbox, name))!;
                Assert.Equal(b.ETag.Trim('"'), p.Metadata[BlobStore.SourceETagKey]);
            }
            var e = Assert.Single(h.Sink.For($"inbox/{a.Name}"));
            Assert.Equal(EventTypes.MediaAnonymized, e.GetProperty("type").GetString());
            Assert.Equal(idB, e.GetProperty("data").GetProperty("instanceId").GetString());
            Assert.Equal("superseded", (await h.Host.Services.GetRequiredService<JobLedger>().GetAsync(idA))!.Status);
        }
        finally
        {
            gate.Release.TrySetResult();
            GatedQc.Gates.TryRemove(idA, out _);
        }
    }

    [StorageFact]
    public async Task A_run_that_starts_after_its_source_was_re_uploaded_is_superseded_and_touches_nothing()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SourcePolicy"] = "delete" });
        var a = await h.UploadAsync(Photo(2), "late.jpg");
        var b = await h.UploadAsync(Photo(3), "late.jpg");
        var outA = (await h.RunAsync(a.Name, a.ETag, a.Size)).ReadOutputAs<MediaOutcome>()!;
        Assert.Equal("superseded", outA.Status);
        Assert.Null(await h.Blobs.PropertiesAsync(Containers.Outbox, a.Name));
        Assert.Null(await h.Blobs.PropertiesAsync(Containers.Quarantine, a.Name + ".reason.json"));
        Assert.Equal(b.ETag, (await h.Blobs.PropertiesAsync(Containers.Inbox, b.Name))!.ETag.ToString()); // B untouched, waiting for its own run
        Assert.Empty(h.Sink.For($"inbox/{a.Name}"));
    }

    [StorageFact]
    public async Task A_restarted_host_does_not_run_finished_blob_versions_again()
    {
        var settings = new Dictionary<string, string?> { ["PlateBlur:SourcePolicy"] = "keep" };
        string prefix;
        string kept, rejected;
        Azure.ETag outputETag;
        await using (var first = await PipelineHarness.StartAsync(settings))
        {
            prefix = first.Prefix;
            kept = (await first.UploadAsync(Photo(2), "kept.jpg")).Name;
            using var dir = TestEnv.TempDir();
            File.WriteAllText(dir.File("notes.jpg"), "not a photo");
            rejected = (await first.UploadAsync(dir.File("notes.jpg"), "notes.jpg")).Name;
            var sweeper = first.Host.Services.GetRequiredService<InboxSweeper>();
            var started = await sweeper.SweepAsync(first.Client, default, prefix + "/");
            Assert.Equal(2, started.Count);
            var outcomes = new List<string>();
            foreach (var id in started) outcomes.Add((await Done(first, id)).Status);
            Assert.Equal(["anonymized", "rejected"], outcomes.Order());
            Assert.Single(first.Sink.For($"inbox/{kept}"));
            outputETag = (await first.Blobs.PropertiesAsync(Containers.Outbox, kept))!.ETag;
        }
        // A new host: a fresh (in-memory) Durable Task backend, the same storage. Both sources are still in inbox/.
        await using var second = await PipelineHarness.StartAsync(settings);
        Assert.NotNull(await second.Blobs.PropertiesAsync(Containers.Inbox, kept));
        Assert.NotNull(await second.Blobs.PropertiesAsync(Containers.Inbox, rejected));
        var again = await second.Host.Services.GetRequiredService<InboxSweeper>().SweepAsync(second.Client, default, prefix + "/");
        Assert.Empty(again);
        Assert.Empty(second.Sink.Events);
        Assert.Equal(outputETag, (await second.Blobs.PropertiesAsync(Containers.Outbox, kept))!.ETag);
    }

    [StorageFact]
    public async Task Two_hosts_on_one_storage_account_process_each_file_exactly_once()
    {
        await using var h1 = await PipelineHarness.StartAsync();
        await using var h2 = await PipelineHarness.StartAsync();
        const int n = 4;
        var names = new List<string>();
        for (int i = 0; i < n; i++) names.Add((await h1.UploadAsync(Photo(i % 2 == 0 ? 2 : 4), $"shared-{i}.jpg")).Name);
        var s1 = h1.Host.Services.GetRequiredService<InboxSweeper>();
        var s2 = h2.Host.Services.GetRequiredService<InboxSweeper>();
        var ledger = h1.Host.Services.GetRequiredService<JobLedger>();
        var started1 = new List<string>();
        var started2 = new List<string>();
        var finished = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddMinutes(6);
        while (finished.Count < n)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {finished.Count} of {n} finished");
            var sweeps = await Task.WhenAll(s1.SweepAsync(h1.Client, default, h1.Prefix + "/"), s2.SweepAsync(h2.Client, default, h1.Prefix + "/"));
            started1.AddRange(sweeps[0]);
            started2.AddRange(sweeps[1]);
            foreach (var id in started1.Concat(started2))
                if (await ledger.IsDoneAsync(id)) finished.Add(id);
            await Task.Delay(250); // the next sweep, as serve polls
        }
        var all = started1.Concat(started2).ToList();
        Assert.Equal(n, all.Count);            // each file started once, by one host
        Assert.Equal(n, all.Distinct().Count());
        foreach (var id in started1) Assert.Equal("anonymized", (await Done(h1, id)).Status);
        foreach (var id in started2) Assert.Equal("anonymized", (await Done(h2, id)).Status);
        foreach (var name in names)
        {
            Assert.NotNull(await h1.Blobs.PropertiesAsync(Containers.Outbox, name));
            Assert.Single(h1.Sink.For($"inbox/{name}").Concat(h2.Sink.For($"inbox/{name}")));
            Assert.Null(await h1.Blobs.PropertiesAsync(Containers.Inbox, name)); // published, then deleted once
        }
        // Leases are given back (and lock blobs deleted) by each host's renewal pass once the ledger has the outcome.
        await h1.Host.Services.GetRequiredService<InstanceLocks>().RenewAsync();
        await h2.Host.Services.GetRequiredService<InstanceLocks>().RenewAsync();
        foreach (var id in all) Assert.Null(await h1.Blobs.PropertiesAsync(Containers.Work, WorkNames.Lock(id)));
    }

    [StorageFact]
    public async Task A_blob_leased_by_a_host_that_died_is_taken_over_when_the_lease_expires()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SourcePolicy"] = "keep" });
        var photo = await h.UploadAsync(Photo(2), "orphan.jpg");
        string id = InboxStarter.InstanceIdFor(photo.Name, photo.ETag);
        // A host that took the lease (15 s, the shortest) and died: nobody renews it.
        var lockBlob = h.Blobs.Blob(Containers.Work, WorkNames.Lock(id));
        await lockBlob.UploadAsync(BinaryData.FromString(id), overwrite: true);
        await lockBlob.GetBlobLeaseClient().AcquireAsync(TimeSpan.FromSeconds(15));
        var sweeper = h.Host.Services.GetRequiredService<InboxSweeper>();
        Assert.Empty(await sweeper.SweepAsync(h.Client, default, h.Prefix + "/"));   // leased elsewhere: skipped, not lost
        var deadline = DateTime.UtcNow.AddMinutes(1);
        List<string> started;
        while ((started = await sweeper.SweepAsync(h.Client, default, h.Prefix + "/")).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired lease was never taken over");
            await Task.Delay(500);
        }
        Assert.Equal(id, Assert.Single(started));
        Assert.Equal("anonymized", (await Done(h, id)).Status);
        Assert.Single(h.Sink.For($"inbox/{photo.Name}"));
    }

    [StorageFact]
    public async Task A_source_re_uploaded_between_two_activities_ends_the_old_run_as_superseded_at_once()
    {
        GatedProbe.Calls = 0;
        await using var h = await PipelineHarness.StartAsync(null, r =>
        {
            r.AddActivity(ProbeActivity.Name, typeof(GatedProbe));
            r.AddActivity(AnonymizePhotoActivity.Name, typeof(CountedPhoto));
        }, [ProbeActivity.Name, AnonymizePhotoActivity.Name]);
        var a = await h.UploadAsync(Photo(2), "midway.jpg");
        string idA = InboxStarter.InstanceIdFor(a.Name, a.ETag);
        var gate = NewGate();
        GatedProbe.Gates[idA] = gate;
        try
        {
            Assert.True((await h.Starter.StartAsync(h.Client, a.Name, a.ETag, a.Size)).Started);
            await gate.Reached.Task.WaitAsync(TimeSpan.FromMinutes(3)); // probed version A
            var b = await h.UploadAsync(Photo(3), "midway.jpg");        // re-upload before AnonymizePhoto reads the source
            gate.Release.SetResult();
            var outA = await Done(h, idA);
            Assert.Equal("superseded", outA.Status);
            Assert.Contains("re-uploaded", outA.Reason);
            Assert.Equal(1, CountedPhoto.Attempts.GetValueOrDefault(idA)); // the changed source ended the run at once: no retry of AnonymizePhoto
            Assert.Empty(h.Sink.For($"inbox/{a.Name}"));
            Assert.Null(await h.Blobs.PropertiesAsync(Containers.Outbox, a.Name));
            Assert.Null(await h.Blobs.PropertiesAsync(Containers.Quarantine, a.Name + ".reason.json"));
            Assert.Equal(b.ETag, (await h.Blobs.PropertiesAsync(Containers.Inbox, b.Name))!.ETag.ToString()); // the new version is untouched
        }
        finally
        {
            gate.Release.TrySetResult();
            GatedProbe.Gates.TryRemove(idA, out _);
        }
    }
}
