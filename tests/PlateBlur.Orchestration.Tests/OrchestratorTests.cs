using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using PlateBlur.Evaluation;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Activities;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;
using System.Text.Json;

namespace PlateBlur.Orchestration.Tests;

/// <summary>The real orchestrator on the in-process Durable Task host, with some activities instrumented to observe it.</summary>
public class OrchestratorTests
{
    /// <summary>Counts how many ProcessSegment calls run at once; each one writes a blob under work/ like the real one.</summary>
    /// <remarks>Synchronised, not timed: each call waits until two calls have been inside at once (or a minute passed, which only a
    /// fan-out narrower than two would cause), so with a cap of 2 two calls always overlap and a third could only be seen if the cap leaked.</remarks>
    private sealed class CountingSegments(BlobStore blobs) : TaskActivity<SegmentWork, SegmentOutcome>
    {
        public static int Running, MaxRunning, Calls;
        public static TaskCompletionSource TwoInside = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<SegmentOutcome> RunAsync(TaskActivityContext context, SegmentWork w)
        {
            int now = Interlocked.Increment(ref Running);
            Interlocked.Increment(ref Calls);
            lock (typeof(CountingSegments)) MaxRunning = Math.Max(MaxRunning, now);
            if (now >= 2) TwoInside.TrySetResult();
            await blobs.UploadTextAsync("part", Containers.Work, WorkNames.SegmentVideo(w.InstanceId, w.Segment.Index));
            try { await TwoInside.Task.WaitAsync(TimeSpan.FromMinutes(1)); } catch (TimeoutException) { /* the assertion on MaxRunning reports it */ }
            Interlocked.Decrement(ref Running);
            return new SegmentOutcome(w.Segment.Index, WorkNames.SegmentVideo(w.InstanceId, w.Segment.Index), "", w.Segment.EndFrame - w.Segment.FirstFrame, 0, 0, 0, 0, 0.4);
        }
    }

    private sealed class FailingStitch : TaskActivity<StitchWork, StitchOutcome>
    {
        public override Task<StitchOutcome> RunAsync(TaskActivityContext context, StitchWork input) => throw new IOException("disk full (simulated)");
    }

    /// <summary>Fails its first call, then does the real probe.</summary>
    private sealed class FlakyProbe(ProbeActivity real) : TaskActivity<MediaJob, ProbeOutcome>
    {
        public static int Attempts;

        public override Task<ProbeOutcome> RunAsync(TaskActivityContext context, MediaJob input) =>
            Interlocked.Increment(ref Attempts) == 1 ? throw new TimeoutException("storage timed out (simulated)") : real.ExecuteAsync(input, default);
    }

    [StorageFact]
    public async Task Segments_fan_out_no_wider_than_the_cap_and_work_is_cleaned_up_when_a_later_step_fails()
    {
        CountingSegments.Running = CountingSegments.MaxRunning = CountingSegments.Calls = 0;
        CountingSegments.TwoInside = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await PipelineHarness.StartAsync(
            new() { ["PlateBlur:SegmentSeconds"] = "1", ["PlateBlur:MaxSegmentsInFlight"] = "2" },
            r => { r.AddActivity(ProcessSegmentActivity.Name, typeof(CountingSegments)); r.AddActivity(StitchActivity.Name, typeof(FailingStitch)); },
            [ProcessSegmentActivity.Name, StitchActivity.Name]);
        using var dir = TestEnv.TempDir();
        var clip = await h.UploadAsync(Clips.Make(dir.File("eight.mp4"), seconds: 8, fps: 10, extra: "-g 10"), "eight.mp4");
        var m = await h.RunAsync(clip.Name, clip.ETag, clip.Size);
        var outcome = m.ReadOutputAs<MediaOutcome>()!;
        Assert.Equal("failed", outcome.Status);
        Assert.Contains("disk full", outcome.Reason);
        Assert.Equal(8, outcome.Segments);
        Assert.Equal(8, CountingSegments.Calls);
        Assert.Equal(2, CountingSegments.MaxRunning);
        // Split's segments and the segment outputs were under work/<id>/: all gone; the source is still in inbox.
        Assert.Empty(await h.ListAsync(Containers.Work, InboxStarter.InstanceIdFor(clip.Name, clip.ETag)));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, clip.Name));
        var e = Assert.Single(h.Sink.For($"inbox/{clip.Name}"));
        Assert.Equal(EventTypes.AnonymizationFailed, e.GetProperty("type").GetString());
    }

    [StorageFact]
    public async Task A_failing_activity_is_retried_and_the_run_completes()
    {
        FlakyProbe.Attempts = 0;
        await using var h = await PipelineHarness.StartAsync(null, r => r.AddActivity(ProbeActivity.Name, typeof(FlakyProbe)), [ProbeActivity.Name]);
        var photo = await h.UploadAsync(PlatePhotos.QcCleanPhoto(), "retry.jpg");
        var m = await h.RunAsync(photo.Name, photo.ETag, photo.Size);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, m.RuntimeStatus);
        Assert.Equal("anonymized", m.ReadOutputAs<MediaOutcome>()!.Status);
        Assert.Equal(2, FlakyProbe.Attempts);
    }

    [StorageFact]
    public async Task A_plate_crossing_segment_cuts_is_masked_on_both_sides_like_a_single_pass()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SegmentSeconds"] = "1", ["PlateBlur:SourcePolicy"] = "keep" });
        var src = TestEnv.Shared("samples", "uk_rain_street.mp4");
        var clip = await h.UploadAsync(src, "cuts.mp4");
        var outcome = (await h.RunAsync(clip.Name, clip.ETag, clip.Size)).ReadOutputAs<MediaOutcome>()!;
        Assert.True(outcome.Segments >= 4, $"{outcome.Segments} segments");
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(outcome.Status == "anonymized" ? Containers.Outbox : Containers.Quarantine, clip.Name + ".report.json"), AnonymizationReport.Json)!;

        using var dir = TestEnv.TempDir();
        using var anonymizer = await Core.Anonymization.Anonymizer.CreateAsync(new Core.PlateBlurOptions { Threads = 2, Preset = "veryfast" }, TestEnv.Models);
        var single = await anonymizer.AnonymizeFileAsync(src, dir.File("single.mp4"), overwrite: false);
        // One report builder: the pipeline's report says what a single pass says about the file, but for the blob names and its pipeline facts.
        Assert.Equal(single.Kind, report.Kind);
        Assert.Equal(single.Metadata, report.Metadata);
        Assert.Equal(single.Warnings, report.Warnings);
        Assert.Equal(single.Counts.Frames, report.Counts.Frames);
        Assert.Equal(JsonSerializer.Serialize(single.Input with { Path = clip.Name }), JsonSerializer.Serialize(report.Input));
        Assert.Equal(single.Output!.FrameCount, report.Output!.FrameCount);
        Assert.Equal(clip.Name, report.Output.Path);
        Assert.Null(single.Pipeline);
        Assert.Equal(outcome.Segments, report.Pipeline!.Segments);
        static Dictionary<long, List<Core.Detection.BoxF>> Masks(AnonymizationReport r) =>
            r.Frames.ToDictionary(f => f.Index, f => f.Boxes.Select(b => new Core.Detection.BoxF(b.X, b.Y, b.W, b.H)).ToList());
        var pipelineMasks = Masks(report);
        var singleMasks = Masks(single);
        // The plates a person annotated in this clip (tests/annotations), not whatever the detector found.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root != null && !File.Exists(Path.Combine(root.FullName, "PlateBlur.slnx"))) root = root.Parent;
        var truth = VideoEvaluator.ReadBoxes(Path.Combine(root!.FullName, "tests", "annotations", "uk_rain_street.boxes.txt"));
        var cuts = Enumerable.Range(1, 4).Select(s => 30 * s).ToList(); // 1 s segments of a 30 fps clip cut near every 30th frame
        int checkedFrames = 0;
        foreach (var t in truth.Where(t => cuts.Any(c => Math.Abs(t.Frame - c) <= 8)))
        {
            double bySingle = Matcher.Coverage(t.Box, singleMasks.GetValueOrDefault(t.Frame) ?? []);
            double byPipeline = Matcher.Coverage(t.Box, pipelineMasks.GetValueOrDefault(t.Frame) ?? []);
            Assert.True(byPipeline >= Matcher.CoveredShare || bySingle < Matcher.CoveredShare,
                $"frame {t.Frame}, plate {t.PlateId}: {bySingle:P0} covered in a single pass but {byPipeline:P0} by the segmented pipeline");
            if (byPipeline >= Matcher.CoveredShare) checkedFrames++;
        }
        Assert.True(checkedFrames >= 40, $"only {checkedFrames} annotated plate-frames near the cuts are covered");
    }

    [StorageFact]
    public async Task A_source_with_one_keyframe_still_splits_into_segments_of_about_the_target_length()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SegmentSeconds"] = "3" });
        using var dir = TestEnv.TempDir();
        var clip = await h.UploadAsync(Clips.Make(dir.File("sparse.mp4"), seconds: 12, fps: 15, extra: "-g 1000 -keyint_min 1000 -sc_threshold 0"), "sparse.mp4");
        var outcome = (await h.RunAsync(clip.Name, clip.ETag, clip.Size)).ReadOutputAs<MediaOutcome>()!;
        Assert.Equal("anonymized", outcome.Status);
        Assert.Equal(4, outcome.Segments);
        Assert.Equal(180, outcome.Frames);
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(Containers.Outbox, clip.Name + ".report.json"), AnonymizationReport.Json)!;
        Assert.True(report.Pipeline!.SplitReEncoded);
        Assert.Equal(180, report.Output!.FrameCount);
    }
}
