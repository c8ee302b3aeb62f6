using System.Text.Json;
using Microsoft.DurableTask.Client;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

namespace PlateBlur.Orchestration.Tests;

/// <summary>A reviewer's release (plateblur serve's review page): the same source version runs again with the edits blob, under its own
/// instance id, through QC and Publish; published, it leaves quarantine/ and is announced as PlateBlur.MediaReviewed.</summary>
public class PipelineReleaseTests
{
    [StorageFact]
    public async Task A_release_with_edits_runs_the_source_version_again_through_QC_publishes_it_and_sends_MediaReviewed()
    {
        // The detector at 0.999 masks nothing; QC at 0.5 finds the plate: quarantine.
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:Threshold"] = "0.999", ["PlateBlur:QcThreshold"] = "0.5", ["PlateBlur:SourcePolicy"] = "keep" });
        var photo = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image;
        var up = await h.UploadAsync(photo, "release.jpg");
        var first = (await h.RunAsync(up.Name, up.ETag, up.Size)).ReadOutputAs<MediaOutcome>()!;
        Assert.Equal("qc-failed", first.Status);
        var quarantined = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(Containers.Quarantine, up.Name + ".report.json"), AnonymizationReport.Json)!;
        var plate = Assert.Single(quarantined.Qc!.Results.SelectMany(r => r.Residual));

        // The reviewer's edits: one plate region over what QC found; the release is named by the source version and the edits blob's ETag.
        await h.Blobs.UploadTextAsync(Detail.EditsJson("plate-1", "plate", 0, new BoxF(plate.X, plate.Y, plate.W, plate.H), 0, 0), Containers.Edits, WorkNames.EditsFor(up.Name));
        string editsETag = (await h.Blobs.PropertiesAsync(Containers.Edits, WorkNames.EditsFor(up.Name)))!.ETag.ToString();
        var release = await h.Starter.StartReviewedAsync(h.Client, up.Name, up.ETag, up.Size, editsETag);
        Assert.True(release.Started);
        Assert.NotEqual(InboxStarter.InstanceIdFor(up.Name, up.ETag), release.InstanceId);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var m = await h.Client.WaitForInstanceCompletionAsync(release.InstanceId, getInputsAndOutputs: true, cts.Token);
        var outcome = m.ReadOutputAs<MediaOutcome>()!;
        Assert.True(outcome.Status == "anonymized", $"{outcome.Status}: {outcome.Reason}");

        var published = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(Containers.Outbox, up.Name + ".report.json"), AnonymizationReport.Json)!;
        Assert.True(published.Qc!.Passed);
        Assert.Equal(1, published.MasksByClass!["plate"]);
        // The quarantined copies of this source version are gone; the source is kept (policy keep).
        Assert.Empty((await h.ListAsync(Containers.Quarantine)).Where(n => n.StartsWith(up.Name, StringComparison.Ordinal)));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, up.Name));

        var types = h.Sink.For($"inbox/{up.Name}").Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal([EventTypes.QcFailed, EventTypes.MediaReviewed], types);
        var reviewed = h.Sink.For($"inbox/{up.Name}").Single(e => e.GetProperty("type").GetString() == EventTypes.MediaReviewed);
        Assert.Equal($"{release.InstanceId}.MediaReviewed", EventSink.Id(reviewed));

        // The same release asked again runs nothing (the ledger holds it); the sweep still skips the first run's version.
        var again = await h.Starter.StartReviewedAsync(h.Client, up.Name, up.ETag, up.Size, editsETag);
        Assert.False(again.Started);
        Assert.True(again.Done);
        Assert.True((await h.Starter.StartAsync(h.Client, up.Name, up.ETag, up.Size)).Done);
    }
}
