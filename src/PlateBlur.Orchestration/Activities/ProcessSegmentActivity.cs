using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 4, fanned out: one segment with a few frames of its neighbours for overlap → decode, detect, track, mask, encode → work/&lt;id&gt;/out/.
/// The frames come from the source read in place (its own byte range, over a read-only URL), or from Split's blobs where the source had to be split.</summary>
[DurableTask(Name)]
public sealed class ProcessSegmentActivity(BlobStore blobs, AnonymizerPool detectors, ILogger<ProcessSegmentActivity> log) : PipelineActivity<SegmentWork, SegmentOutcome>(log)
{
    public const string Name = "ProcessSegment";

    protected override string? TraceDetail(SegmentWork w) => $"segment {w.Segment.Index}";

    public override async Task<SegmentOutcome> ExecuteAsync(SegmentWork w, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var local = new LocalWork(w.InstanceId, $"{Name}-{w.Segment.Index}");
        var seg = w.Segment;
        var pieces = new List<FramePiece>();
        VideoStreamInfo? video = null;

        async Task<(string Path, VideoStreamInfo Video, FrameTimeline Timeline)> Fetch(string blob, string name)
        {
            string path = local.File(name);
            await blobs.DownloadAsync(Containers.Work, blob, path, ct);
            var info = await MediaProbe.ProbeAsync(path, ct, workFile: true);
            var v = info.RequireVideo();
            return (path, v, await FrameTimeline.ScanAsync(path, v, ct));
        }

        IDisposable? inPlace = null;
        if (w.SegmentBlob == null)
        {
            // Read in place: one range of the source, from the overlap before the segment to the overlap after it, over a read-only URL
            // (ffmpeg seeks with range requests, so only those bytes cross the network). Probe stored the timeline and the stream facts.
            var facts = await SourceInPlace.ReadFactsAsync(blobs, w.InstanceId, ct);
            var t = facts.Timeline;
            var segPts = t.PtsNs.Skip(seg.FirstFrame).Take(seg.EndFrame - seg.FirstFrame).ToList();
            int overlap = w.OverlapFrames > 0 ? Math.Max(w.OverlapFrames, detectors.Options.TrackingOptions().DelayFrames(segPts)) : 0;
            int from = w.Previous is { } p && overlap > 0 ? Math.Max(p.FirstFrame, seg.FirstFrame - overlap) : seg.FirstFrame;
            int to = w.Next is { } n && overlap > 0 ? Math.Min(n.EndFrame, seg.EndFrame + overlap) : seg.EndFrame;
            var (url, registration) = await SourceInPlace.OpenAsync(blobs, w.SourceBlob, w.SourceETag, facts.Container, facts.Info.SizeBytes, ct);
            inPlace = registration;
            video = facts.Info.RequireVideo();
            pieces.Add(new FramePiece(url, video, t, from, to, 0, SeekMarginSeconds: 0.25));
        }
        else
        {
            // The segment itself first: its frame times say how many frames the tracking delay spans (more at 60 fps than at 10 fps).
            var cur = await Fetch(w.SegmentBlob, "seg.nut");
            int overlap = w.OverlapFrames > 0 ? Math.Max(w.OverlapFrames, detectors.Options.TrackingOptions().DelayFrames(cur.Timeline.PtsNs)) : 0;
            if (w.PreviousBlob != null && overlap > 0)
            {
                var p = await Fetch(w.PreviousBlob, "prev.nut");
                int n = p.Timeline.FrameCount;
                pieces.Add(new FramePiece(p.Path, p.Video, p.Timeline, Math.Max(0, n - overlap), n, seg.FirstFrame - n));
            }
            video = cur.Video;
            if (cur.Timeline.FrameCount != seg.EndFrame - seg.FirstFrame)
                throw new InvalidDataException($"Segment {seg.Index} holds {cur.Timeline.FrameCount} frames, planned {seg.EndFrame - seg.FirstFrame}.");
            pieces.Add(new FramePiece(cur.Path, cur.Video, cur.Timeline, 0, cur.Timeline.FrameCount, seg.FirstFrame));
            if (w.NextBlob != null && overlap > 0)
            {
                var nx = await Fetch(w.NextBlob, "next.nut");
                pieces.Add(new FramePiece(nx.Path, nx.Video, nx.Timeline, 0, Math.Min(overlap, nx.Timeline.FrameCount), seg.EndFrame));
            }
        }
        using var _ = inPlace;

        // The split keeps the time base but not the rotation, which detection needs to see plates upright.
        var srcVideo = video with { Rotation = w.Rotation };
        using var lease = await detectors.RentAsync(ct);
        var options = detectors.Options;
        var encode = new EncodeSettings(OutputPlan.EncoderFor(w.OutputName, options.Codec), options.Crf, options.Preset);
        string output = local.File("out.mp4");
        var edits = w.EditsBlob == null ? null : ResolvedEdits.FromJson(await blobs.ReadTextAsync(Containers.Work, w.EditsBlob, ct));
        SegmentResult result;
        try
        {
            result = await SegmentProcessor.ProcessFramesAsync(FrameReader.ReadPiecesAsync(pieces, ct), srcVideo, $"segment {seg.Index}",
                seg.FirstFrame, seg.EndFrame, output, lease.Anonymizer.Scanner, options, encode, null, ct, edits, WorkNames.FirstTrackId(seg.Index));
        }
        catch (MediaException) when (inPlace != null)
        {
            await SourceInPlace.ThrowIfChangedAsync(blobs, w.SourceBlob, w.SourceETag, ct); // a re-upload fails the range requests (If-Match)
            throw;
        }

        string videoBlob = WorkNames.SegmentVideo(w.InstanceId, seg.Index), masksBlob = WorkNames.SegmentMasks(w.InstanceId, seg.Index);
        await blobs.UploadAsync(output, Containers.Work, videoBlob, "video/mp4", ct);
        await blobs.UploadTextAsync(JsonSerializer.Serialize(new SegmentMasks(result.Masks, result.Timings, result.Dropped, result.DroppedMasks, lease.Anonymizer.Model), AnonymizationReport.Json), Containers.Work, masksBlob, ct);
        long masks = result.Masks.Sum(m => m.Boxes.Count), bytes = new FileInfo(output).Length;
        double seconds = sw.Elapsed.TotalSeconds;
        PipelineTelemetry.Frames.Add(result.Frames, new KeyValuePair<string, object?>("kind", "video"));
        PipelineTelemetry.Inferences.Add(result.Inferences);
        PipelineTelemetry.CountMasks(result.Masks);
        Tag("blob", w.SourceBlob); Tag("segment", seg.Index); Tag("frames", result.Frames); Tag("masks", masks); Tag("inferences", result.Inferences); Tag("bytes", bytes);
        log.LogInformation("{InstanceId}: {Blob} segment {Segment}: {Frames} frames at {Fps:F2} fps, {Masks} masks, {Detections} detections, {Tracks} tracks, {Inferences} inferences, {Bytes} bytes in {DurationSeconds:F2} s",
            w.InstanceId, w.SourceBlob, seg.Index, result.Frames, result.Frames / Math.Max(seconds, 1e-9), masks, result.Detections, result.Tracks, result.Inferences, bytes, seconds);
        return new SegmentOutcome(seg.Index, videoBlob, masksBlob, result.Frames, masks, result.Detections, result.Tracks, result.Inferences, seconds);
    }
}

/// <summary>The masks and stage timings of one segment, stored beside its video for the final report.</summary>
/// <param name="Dropped">Masks removed per dropped track (edits); <paramref name="DroppedMasks"/>: where.</param>
/// <param name="Model">The detection model that found them (so Stitch reports it without loading a model).</param>
public sealed record SegmentMasks(IReadOnlyList<FrameMasks> Frames, StageTimings Timings, IReadOnlyDictionary<int, long>? Dropped = null, IReadOnlyList<FrameMasks>? DroppedMasks = null,
    ModelFacts? Model = null);
