using System.Text.Json;
using Microsoft.DurableTask.Client;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Orchestration.Tests;

/// <summary>An edits blob beside the source (edits/&lt;path&gt;.edits.json) is applied by the orchestration as anonymize --edits applies it.</summary>
public class PipelineEditsTests(ITestOutputHelper log)
{
    private static readonly BoxF Window = new(350, 160, 44, 50); // a window of the white house in uk_rain_street, frame 60: no plate

    private static async Task<(MediaOutcome Outcome, AnonymizationReport Report)> RunAsync(PipelineHarness h, string name)
    {
        var clip = await h.UploadAsync(TestEnv.Shared("samples", "uk_rain_street.mp4"), name);
        var m = await h.RunAsync(clip.Name, clip.ETag, clip.Size);
        Assert.True(m.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{m.RuntimeStatus}: {m.FailureDetails?.ErrorMessage}");
        var outcome = m.ReadOutputAs<MediaOutcome>()!;
        Assert.True(outcome.Status is "anonymized" or "qc-failed", $"{outcome.Status}: {outcome.Reason}");
        string container = outcome.Status == "anonymized" ? Containers.Outbox : Containers.Quarantine;
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(container, clip.Name + ".report.json"), AnonymizationReport.Json)!;
        return (outcome, report);
    }

    [StorageFact]
    public async Task Edits_blob_masks_the_same_regions_as_anonymize_and_drops_the_track_it_names()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SegmentSeconds"] = "2", ["PlateBlur:SourcePolicy"] = "keep" });
        var (first, plain) = await RunAsync(h, "review.mp4");
        Assert.True(first.Segments >= 2);
        // Track ids are unique over the segments (each has its own block) and the same for every run of this source.
        var ids = plain.Frames.SelectMany(f => f.Boxes).Select(b => b.Track).Where(t => t > 0).Distinct().ToList();
        Assert.Contains(ids, t => t > WorkNames.TrackIdsPerSegment);
        int drop = Detail.FalsePositiveTrack(plain, Path.Combine(TestEnv.RepoRoot, "tests", "annotations", "uk_rain_street.boxes.txt"))
            ?? throw new InvalidOperationException("no false-positive track");
        long dropMasks = plain.Frames.Sum(f => f.Boxes.Count(b => b.Track == drop));

        string editsJson = Detail.EditsJson("window", "other", 60, Window, 10, 110, drop);
        string source = $"{h.Prefix}/review.mp4";
        await h.Blobs.UploadTextAsync(editsJson, Containers.Edits, WorkNames.EditsFor(source));
        // The same source uploaded again is a new version: it runs again, now with the edits.
        var (second, edited) = await RunAsync(h, "review.mp4");
        log.WriteLine($"plain: {first.Masks} masks; edited: {second.Masks} masks; dropped track {drop} ({dropMasks} masks)");
        Assert.Equal(dropMasks, Assert.Single(edited.Edits!.DroppedTracks).MasksRemoved);
        Assert.DoesNotContain(edited.Frames.SelectMany(f => f.Boxes), b => b.Track == drop);
        Assert.Equal(101, edited.MasksByClass!["other"]);
        // The tracks' masks are the first run's, less the dropped track: the ids held across the two runs.
        static string Tracked(AnonymizationReport r, int except) => JsonSerializer.Serialize(r.Frames
            .Select(f => new { f.Index, Boxes = f.Boxes.Where(b => b.Track >= 0 && b.Track != except).ToList() }).Where(x => x.Boxes.Count > 0));
        Assert.Equal(Tracked(plain, drop), Tracked(edited, drop));

        // anonymize --edits masks exactly the same manual boxes.
        using var dir = TestEnv.TempDir();
        File.WriteAllText(dir.File("review.mp4.edits.json"), editsJson);
        using var anonymizer = await Core.Anonymization.Anonymizer.CreateAsync(new Core.PlateBlurOptions { Threads = 2, Preset = "veryfast" }, TestEnv.Models);
        var local = await anonymizer.AnonymizeFileAsync(TestEnv.Shared("samples", "uk_rain_street.mp4"), dir.File("local.mp4"), overwrite: false,
            edits: EditsSource.Load(dir.File("review.mp4.edits.json")));
        static string Manual(AnonymizationReport r) => JsonSerializer.Serialize(r.Frames.Select(f => (f.Index, f.Boxes.Where(b => b.Kind == "Manual").ToList())).Where(x => x.Item2.Count > 0)
            .Select(x => new { x.Index, x.Item2 }));
        Assert.Equal(Manual(local), Manual(edited));

        // Pixels of the published output: the region is blurred across its span.
        string container = second.Status == "anonymized" ? Containers.Outbox : Containers.Quarantine;
        await h.Blobs.DownloadAsync(container, source, dir.File("pipeline.mp4"));
        long[] probe = [10, 60, 110];
        var src = await Detail.LumaAsync(TestEnv.Shared("samples", "uk_rain_street.mp4"), probe);
        var outp = await Detail.LumaAsync(dir.File("pipeline.mp4"), probe);
        var manual = Detail.Masks(edited, b => b.Kind == "Manual");
        foreach (long f in probe)
        {
            var b = Assert.Single(manual[f]);
            double kept = Detail.Kept(src[f], outp[f], new BoxF(b.X + 3, b.Y + 3, b.W - 6, b.H - 6));
            Assert.True(kept <= 0.10, $"frame {f}: the region kept {kept:P1} of its detail");
        }
    }

    [StorageFact]
    public async Task A_bad_edits_blob_fails_the_run_with_the_reason_and_publishes_nothing()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SourcePolicy"] = "delete" });
        var photo = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image;
        string name = $"{h.Prefix}/bad-edits.jpg";
        await h.Blobs.UploadTextAsync("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "keys": [ { "frame": 0, "box": [-50, 0, 20, 20] } ] } ] }""",
            Containers.Edits, WorkNames.EditsFor(name));
        var up = await h.UploadAsync(photo, "bad-edits.jpg");
        var outcome = (await h.RunAsync(up.Name, up.ETag, up.Size)).ReadOutputAs<MediaOutcome>()!;
        Assert.Equal("failed", outcome.Status);
        Assert.Contains("outside the", outcome.Reason);
        Assert.Contains("bad-edits.jpg.edits.json", outcome.Reason);
        Assert.Empty(await h.ListAsync(Containers.Outbox));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, up.Name)); // the source is kept whatever the policy
    }
}
