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
        var image = PlatePhotos.QcCleanPhoto();
        var first = await h.UploadAsync(image, "a-first.jpg");
        var bad = await h.UploadAsync(image, "bad\u0001name.jpg");   // Azurite fails any listing page that holds this name
        var rlo = await h.UploadAsync(image, "invoice\u202Egpj.exe.jpg");
        var good = await h.UploadAsync(image, "good.jpg");           // listed after the bad name

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
        Assert.Equal("anonymized", outcomes[first.Name].Status);
        Assert.Equal("anonymized", outcomes[good.Name].Status);
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Outbox, good.Name));

        // The right-to-left-override name is rejected with a reason stored under a safe quarantine name.
        Assert.Equal("rejected", outcomes[rlo.Name].Status);
        Assert.Contains("bidirectional", outcomes[rlo.Name].Reason);
        string rloId = InboxStarter.InstanceIdFor(rlo.Name, rlo.ETag);
        Assert.Contains("bidirectional", await h.Blobs.ReadTextAsync(Containers.Quarantine, $"unsafe-names/{rloId}.reason.json"));

        // The unlistable name is stepped over, reported (what is known of it) and left in inbox/ untouched.
        var skipped = Assert.Single(sweeper.LastUnlistable);
        Assert.True(skipped.Skipped);
        Assert.Contains($"{h.Prefix}/bad", skipped.Known);
        bool reported = false;
        await foreach (var b in h.Blobs.ListAsync(Containers.Quarantine, "unsafe-names/unlisted-"))
            reported |= (await h.Blobs.ReadTextAsync(Containers.Quarantine, b.Name)).Contains($"{h.Prefix}/bad");
        Assert.True(reported, "no reason file for the unlistable name");
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, bad.Name));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, rlo.Name));

        // The next sweep starts nothing again (the ledger) and still gets past the bad name.
        Assert.False(skipped.Remembered); // the first sweep had to search for the marker after the bad name
        Assert.Empty(await sweeper.SweepAsync(h.Client, default, h.Prefix + "/"));
        var again = Assert.Single(sweeper.LastUnlistable);
        Assert.True(again.Skipped);
        Assert.True(again.Remembered, "the second sweep searched for the bad name again"); // the skip is remembered: no search
        await h.Blobs.DeleteAsync(Containers.Inbox, bad.Name);
    }
}
