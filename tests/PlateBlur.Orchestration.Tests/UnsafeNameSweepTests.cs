using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

namespace PlateBlur.Orchestration.Tests;

/// <summary>Issue 13, item 4: a blob whose name storage cannot even list must not stop the sweep of the rest of inbox/.</summary>
public class UnsafeNameSweepTests
{
    [StorageFact]
    public async Task A_control_character_name_does_not_block_the_sweep_and_unsafe_names_go_to_quarantine_with_a_reason()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SourcePolicy"] = "keep" });
        var image = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image;
        var bad = await h.UploadAsync(image, "bad\u0001name.jpg");
        var rlo = await h.UploadAsync(image, "invoice\u202Egpj.exe.jpg");
        var good = await h.UploadAsync(image, "good.jpg");

        var sweeper = h.Host.Services.GetRequiredService<InboxSweeper>();
        var started = await sweeper.SweepAsync(h.Client, default, h.Prefix + "/");
        Assert.Equal(3, started.Count);
        var outcomes = new Dictionary<string, MediaOutcome>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        foreach (var id in started)
        {
            var m = await h.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, m.RuntimeStatus);
            outcomes[m.ReadInputAs<MediaJob>()!.BlobName] = m.ReadOutputAs<MediaOutcome>()!;
        }
        Assert.Equal("anonymized", outcomes[good.Name].Status);
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Outbox, good.Name));
        var rejected = outcomes.Where(o => o.Key != good.Name).ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, o => Assert.Equal("rejected", o.Value.Status));
        Assert.Contains(rejected, o => o.Value.Reason!.Contains("control character"));
        Assert.Contains(rejected, o => o.Value.Reason!.Contains("bidirectional"));
        // Each unsafe name is recorded under a safe quarantine name, and its source is left in inbox/ untouched.
        var quarantined = new List<string>();
        await foreach (var b in h.Blobs.ListAsync(Containers.Quarantine, "unsafe-names/")) quarantined.Add(b.Name);
        foreach (var (name, _) in rejected)
        {
            var job = started.Select(id => InboxStarter.InstanceIdFor(name, "")).ToList(); // (ids depend on the listed ETag; checked below by reason files)
            Assert.DoesNotContain(quarantined, q => q.Contains('\u0001') || q.Contains('\u202E'));
        }
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, bad.Name));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, rlo.Name));
        foreach (var id in started.Where(id => outcomes.Values.Any()))
        {
            var m = await h.Client.GetInstanceAsync(id, true);
            if (m!.ReadOutputAs<MediaOutcome>()!.Status != "rejected") continue;
            Assert.Contains($"unsafe-names/{id}.reason.json", quarantined);
        }
    }
}
