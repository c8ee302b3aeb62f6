using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 5, fan-in: joins the segments, muxes the source's audio and metadata back by stream copy, and verifies the result against the source.
/// No detection model is loaded here: the model's facts for the report come with the segments' masks.</summary>
[DurableTask(Name)]
public sealed class StitchActivity(BlobStore blobs, PlateBlurOptions options, ILogger<StitchActivity> log) : PipelineActivity<StitchWork, StitchOutcome>(log)
{
    public const string Name = "Stitch";

    public override async Task<StitchOutcome> ExecuteAsync(StitchWork w, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var local = new LocalWork(w.InstanceId, Name);
        // The source's probe and timeline as Probe stored them. ffmpeg copies the source's audio, subtitles and metadata from a local stand-in
        // holding the index and those streams' bytes only (an MP4/MOV), or reads them in place over a read-only URL.
        var facts = await SourceInPlace.ReadFactsAsync(blobs, w.InstanceId, ct);
        string standIn = local.File(WorkNames.LocalName("source", w.SourceBlob));
        IDisposable? registration = null;
        string sourcePath = standIn;
        if (facts.SideRanges == null || w.SourceETag == null
            || !await SourceInPlace.TryWriteSideStandInAsync(blobs, w.SourceBlob, w.SourceETag, facts.Info.SizeBytes, facts.SideRanges, standIn, ct))
            (sourcePath, registration) = await SourceInPlace.OpenAsync(blobs, w.SourceBlob, w.SourceETag, facts.Container, facts.Info.SizeBytes, ct);
        using var _ = registration;
        var source = facts.Info with { Path = sourcePath };
        var timeline = facts.Timeline;

        var parts = new List<string>();
        var frames = new List<FrameMasks>();
        var timings = new StageTimings(0, 0, 0, 0, 0, 0, 0, 0);
        var dropped = new Dictionary<int, long>();
        var droppedMasks = new List<FrameMasks>();
        ModelFacts? model = null;
        foreach (var s in w.Segments.OrderBy(s => s.Index))
        {
            string part = local.File($"part-{s.Index:0000}.mp4");
            await blobs.DownloadAsync(Containers.Work, s.VideoBlob, part, ct);
            parts.Add(part);
            var masks = JsonSerializer.Deserialize<SegmentMasks>(await blobs.ReadTextAsync(Containers.Work, s.MasksBlob, ct), AnonymizationReport.Json)!;
            frames.AddRange(masks.Frames);
            timings = timings.Add(masks.Timings);
            foreach (var (id, n) in masks.Dropped ?? new Dictionary<int, long>()) dropped[id] = dropped.GetValueOrDefault(id) + n;
            droppedMasks.AddRange(masks.DroppedMasks ?? []);
            model ??= masks.Model;
        }
        if (model == null) throw new InvalidDataException($"The segments of {w.SourceBlob} do not name their detection model.");

        string output = local.File(WorkNames.LocalName("result", w.OutputName));
        var plan = OutputPlan.For(w.OutputName, source, options.Codec);
        var starts = w.Plan.Segments.Select(s => s.StartNs).Append(w.Plan.Segments[^1].EndNs).ToList();
        var clock = Stopwatch.StartNew();
        MediaInfo outInfo; FrameTimeline outTimeline;
        try
        {
            await Muxer.MuxAsync(parts, starts, source, plan, output, options.KeepLocation, ct);
            double mux = clock.Elapsed.TotalSeconds;
            clock.Restart();
            (outInfo, outTimeline) = await OutputVerifier.VerifyVideoAsync(output, source, timeline, plan.ExpectedStreams(source), ct);
            timings = timings with { Mux = mux, Verify = clock.Elapsed.TotalSeconds };
        }
        catch (MediaException e)
        {
            await SourceInPlace.ThrowIfChangedAsync(blobs, w.SourceBlob, w.SourceETag, ct); // a re-upload fails the range requests (If-Match)
            Tag("blob", w.SourceBlob); Tag("verified", false);
            log.LogWarning(e, "{InstanceId}: {Blob} stitched output failed verification ({Error}) after {DurationSeconds:F2} s", w.InstanceId, w.SourceBlob, e.Error, sw.Elapsed.TotalSeconds);
            return new StitchOutcome(false, e.Message, null, null, 0, 0, 0, sw.Elapsed.TotalSeconds);
        }

        var edits = w.EditsBlob == null ? null : ResolvedEdits.FromJson(await blobs.ReadTextAsync(Containers.Work, w.EditsBlob, ct));
        frames = frames.OrderBy(f => f.Index).ToList();
        var editsReport = edits?.Report(dropped, droppedMasks.OrderBy(f => f.Index).ToList(), frames);
        var report = ReportBuilder.InPipeline(
            ReportBuilder.Video(source, timeline, outInfo, outTimeline, plan, model, options,
                timeline.FrameCount, frames, w.Segments.Sum(s => s.Detections), w.Segments.Sum(s => s.Tracks), w.Segments.Sum(s => s.Inferences),
                timings with { Total = w.Split.Seconds + w.Segments.Sum(s => s.Seconds) + sw.Elapsed.TotalSeconds }, editsReport),
            w.SourceBlob, w.OutputName,
            new PipelineFacts(w.InstanceId, w.Segments.Count, w.Split.ReEncoded, w.Split.Seconds, w.Segments.Max(s => s.Seconds), sw.Elapsed.TotalSeconds));
        string resultBlob = WorkNames.Result(w.InstanceId, w.OutputName), reportBlob = WorkNames.Report(w.InstanceId);
        await blobs.UploadAsync(output, Containers.Work, resultBlob, BlobStore.ContentTypeOf(w.OutputName), ct);
        await blobs.UploadTextAsync(JsonSerializer.Serialize(report, AnonymizationReport.Json), Containers.Work, reportBlob, ct);
        long bytes = new FileInfo(output).Length;
        Tag("blob", w.SourceBlob); Tag("verified", true); Tag("frames", outTimeline.FrameCount); Tag("masks", report.Counts.Masks); Tag("bytes", bytes);
        log.LogInformation("{InstanceId}: {Blob} stitched from {Segments} segments: {Frames} frames, {Streams} streams, {Masks} masks, {Bytes} bytes, verified in {DurationSeconds:F2} s",
            w.InstanceId, w.SourceBlob, w.Segments.Count, outTimeline.FrameCount, outInfo.StreamCount, report.Counts.Masks, bytes, sw.Elapsed.TotalSeconds);
        return new StitchOutcome(true, null, resultBlob, reportBlob, outTimeline.FrameCount, outTimeline.DurationNs / 1e9, outInfo.StreamCount, sw.Elapsed.TotalSeconds);
    }
}
