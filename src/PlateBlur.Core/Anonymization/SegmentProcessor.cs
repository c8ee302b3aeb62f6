using System.Diagnostics;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Core.Reports;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Anonymization;

/// <summary>What one processed frame range produced.</summary>
/// <param name="Dropped">Masks removed per dropped track id (edits).</param>
/// <param name="DroppedMasks">Where the dropped tracks' masks would have been.</param>
public sealed record SegmentResult(int FirstIndex, int EndIndex, long Frames, long Detections, int Tracks, IReadOnlyList<FrameMasks> Masks, StageTimings Timings, long Inferences,
    IReadOnlyDictionary<int, long>? Dropped = null, IReadOnlyList<FrameMasks>? DroppedMasks = null)
{
    /// <summary>Frames of the range the detector searched (all of them unless a scan schedule skips some, see ScanOptions.ScanSeconds).</summary>
    public long Searched { get; init; } = Frames;
}

/// <summary>Decodes, detects, tracks, masks and encodes one frame range of a video, reading a few frames of overlap on each side so tracks are warm at the cuts, and writing only its own frames.</summary>
public static class SegmentProcessor
{
    /// <summary>Processes frames [<paramref name="firstIndex"/>, <paramref name="endIndex"/>) of one file, reading <paramref name="overlap"/> extra frames on each side.</summary>
    public static Task<SegmentResult> ProcessAsync(
        MediaInfo source, FrameTimeline timeline, int firstIndex, int endIndex, int overlap,
        string videoOutput, FrameScanner scanner, PlateBlurOptions options, EncodeSettings encodeSettings,
        IProgress<AnonymizeProgress>? progress = null, CancellationToken ct = default, ResolvedEdits? edits = null)
    {
        var video = source.RequireVideo();
        endIndex = Math.Min(endIndex, timeline.FrameCount);
        overlap = Math.Max(overlap, options.TrackingOptions().DelayFrames(timeline.PtsNs));
        int readFirst = Math.Max(0, firstIndex - overlap), readEnd = Math.Min(timeline.FrameCount, endIndex + overlap);
        var frames = FrameReader.ReadAsync(source.Path, video, timeline, readFirst, readEnd, ct);
        return ProcessFramesAsync(frames, video, Path.GetFileName(source.Path), firstIndex, endIndex, videoOutput, scanner, options, encodeSettings, progress, ct, edits);
    }

    /// <summary>Processes a stream of frames that carry global indices (overlap frames included) and encodes those in [<paramref name="firstIndex"/>, <paramref name="endIndex"/>).</summary>
    /// <param name="edits">Manual regions to add and tracks to drop (resolved over the whole source, see <see cref="EditsResolver"/>).</param>
    /// <param name="firstTrackId">The id of the first track this range starts (the pipeline gives each segment its own block).</param>
    public static async Task<SegmentResult> ProcessFramesAsync(
        IAsyncEnumerable<YuvFrame> frames, VideoStreamInfo video, string label, int firstIndex, int endIndex,
        string videoOutput, FrameScanner scanner, PlateBlurOptions options, EncodeSettings encodeSettings,
        IProgress<AnonymizeProgress>? progress = null, CancellationToken ct = default, ResolvedEdits? edits = null, int firstTrackId = 1)
    {
        if (firstIndex < 0 || firstIndex >= endIndex) throw new ArgumentOutOfRangeException(nameof(firstIndex), $"Empty frame range [{firstIndex},{endIndex}).");
        var tracking = options.TrackingOptions();
        var redaction = options.RedactionOptions();
        using var tracker = new Tracker(tracking, firstTrackId);
        var dropped = new Dictionary<int, long>();
        var droppedRecords = new List<FrameMasks>();
        scanner.Reset();
        var failSecure = options.FailSecure && scanner.Vehicles != null ? new FailSecure(options.FailSecureMinVehicleHeight) : null;
        var zones = new Dictionary<long, List<BoxF>>();
        List<BoxF> lastZones = [];
        long inferencesBefore = scanner.Plates.Inferences;
        var pending = new Queue<YuvFrame>();
        long lastPtsNs = long.MinValue, maxStepNs = 0; // the longest frame step so far: the frame floors of the tracking delay count in it
        var records = new List<FrameMasks>();
        var total = Stopwatch.StartNew();
        var clock = new Stopwatch();
        double decode = 0, detect = 0, track = 0, redact = 0, encode = 0;
        long detections = 0, masksSoFar = 0, written = 0;

        await using var writer = new FrameWriter(videoOutput, video.Width, video.Height, video, encodeSettings, ColorArguments(video));
        MaskRecord Record(MaskBox m, YuvFrame f) => ReportBuilder.Record(m, redaction, f.Width, f.Height, edits);

        async Task FinalizeAsync(YuvFrame f)
        {
            clock.Restart();
            var masks = tracker.MasksFor(f.Index);
            if (zones.Remove(f.Index, out var extra)) masks.AddRange(extra.Select(z => new MaskBox(z, 0, MaskKind.FailSecure)));
            if (edits != null)
            {
                var removed = new List<MaskBox>();
                edits.Apply(f.Index, masks, dropped, removed);
                if (removed.Count > 0) droppedRecords.Add(new FrameMasks(f.Index, f.PtsNs / 1e9, removed.Select(m => Record(m, f)).ToList()));
            }
            track += clock.Elapsed.TotalSeconds;
            clock.Restart();
            Redactor.Apply(f, masks, redaction);
            redact += clock.Elapsed.TotalSeconds;
            if (masks.Count > 0)
            {
                records.Add(new FrameMasks(f.Index, f.PtsNs / 1e9, masks.Select(m => Record(m, f)).ToList()));
                masksSoFar += masks.Count;
            }
            clock.Restart();
            await writer.WriteAsync(f, ct);
            encode += clock.Elapsed.TotalSeconds;
            written++;
            if (progress != null && (written % 10 == 0 || f.Index == endIndex - 1))
                progress.Report(new AnonymizeProgress(label, written, endIndex - firstIndex, masksSoFar, total.Elapsed));
        }

        var keys = new KeySchedule(scanner.Options.KeyNs);
        var scans = new KeySchedule(scanner.Options.ScanNs, scanner.Options.ScanNs / 4);
        long searched = 0;
        var wait = Stopwatch.StartNew();
        await foreach (var frame in frames.WithCancellation(ct))
        {
            decode += wait.Elapsed.TotalSeconds;
            clock.Restart();
            // Key frames get the full scan; the frames between them the whole frame and their turn of the tiles (see ScanOptions.KeySeconds).
            bool key = keys.IsKey(frame.PtsNs);
            // With a scan schedule only the first frame of each slot (and every key frame) is searched; the tracker carries the rest.
            bool scan = scans.IsKey(frame.PtsNs) | key;
            List<Detection.Detection> found = scan
                ? Detect(scanner, frame, video.Rotation, threshold: scanner.Options.ContinueThreshold, keyFrame: key,
                    turn: scanner.Options.ScanNs > 0 ? scans.SlotOf(frame.PtsNs) : -1)
                : [];
            searched += scan && frame.Index >= firstIndex && frame.Index < endIndex ? 1 : 0;
            detect += clock.Elapsed.TotalSeconds;
            detections += frame.Index >= firstIndex && frame.Index < endIndex ? found.Count : 0;
            clock.Restart();
            tracker.Add(frame.Index, frame.PtsNs, found, new LumaPyramid(frame.Y, frame.Width, frame.Height, frame.Width));
            // Fail-secure judges vehicles on key frames only (between them the scan does not look for plates on vehicles); its zones hold until the next.
            if (failSecure != null && key) lastZones = failSecure.Zones(frame.Index, StoredVehicles(scanner, frame, video.Rotation), found);
            if (failSecure != null && frame.Index >= firstIndex && frame.Index < endIndex)
                zones[frame.Index] = [.. lastZones];
            track += clock.Elapsed.TotalSeconds;

            if (frame.Index >= firstIndex && frame.Index < endIndex) pending.Enqueue(frame);
            else frame.Dispose();
            // A frame is final once a frame later than its time plus the tracking delay was added (see Tracker).
            if (lastPtsNs != long.MinValue) maxStepNs = Math.Max(maxStepNs, frame.PtsNs - lastPtsNs);
            lastPtsNs = frame.PtsNs;
            while (pending.Count > 0 && frame.PtsNs > pending.Peek().PtsNs + tracking.DelayNsFor(maxStepNs) + TrackingOptions.ToleranceNs)
                await FinalizeAsync(pending.Dequeue());
            tracker.Forget(pending.Count > 0 ? pending.Peek().Index : frame.Index + 1);
            wait.Restart();
        }
        while (pending.Count > 0) await FinalizeAsync(pending.Dequeue());
        if (written != endIndex - firstIndex)
            throw new MediaException(MediaError.Truncated, $"{label}: frames {firstIndex}–{endIndex - 1} gave {written} frames.");
        clock.Restart();
        await writer.CompleteAsync();
        encode += clock.Elapsed.TotalSeconds;
        return new SegmentResult(firstIndex, endIndex, written, detections, tracker.TracksStarted, records,
            new StageTimings(decode, detect, track, redact, encode, 0, 0, total.Elapsed.TotalSeconds), scanner.Plates.Inferences - inferencesBefore,
            dropped, droppedRecords) { Searched = searched };
    }

    /// <summary>The scanner's vehicles for this frame in stored-frame pixels.</summary>
    private static List<Vehicle> StoredVehicles(FrameScanner scanner, YuvFrame frame, int rotation)
    {
        if (rotation == 0) return [.. scanner.LastVehicles];
        var rotated = new RotatedImageSource(new YuvImageSource(frame), rotation);
        return scanner.LastVehicles.Select(v => v with { Box = rotated.ToStored(v.Box) }).ToList();
    }

    /// <summary>Runs the scanner on the upright view of the frame and returns boxes in stored-frame pixels.</summary>
    /// <param name="allTiles">Search every tile instead of this frame's round-robin share.</param>
    /// <param name="threshold">Score floor (default: the scanner's threshold).</param>
    /// <param name="keyFrame">False between key frames: no coarse pass, no vehicle model or crops.</param>
    public static List<Detection.Detection> Detect(FrameScanner scanner, YuvFrame frame, int rotation, bool allTiles = false, float? threshold = null, bool keyFrame = true, long turn = -1)
    {
        IImageSource image = new YuvImageSource(frame);
        long index = allTiles ? -1 : frame.Index;
        if (rotation == 0) return scanner.Scan(image, index, threshold, keyFrame, turn);
        var rotated = new RotatedImageSource(image, rotation);
        return scanner.Scan(rotated, index, threshold, keyFrame, turn).Select(d => d.MapBack(rotated.ToStored)).ToList();
    }

    /// <summary>Tags the encoded stream with the source's colour description, so players show the same colours.</summary>
    public static string ColorArguments(VideoStreamInfo v)
    {
        var args = new List<string> { "-color_range tv" };
        if (Known(v.ColorSpace)) args.Add("-colorspace " + v.ColorSpace);
        if (Known(v.ColorPrimaries)) args.Add("-color_primaries " + v.ColorPrimaries);
        if (Known(v.ColorTransfer)) args.Add("-color_trc " + v.ColorTransfer);
        return string.Join(' ', args);
        static bool Known(string? s) => !string.IsNullOrEmpty(s) && s != "unknown" && s != "reserved" && s.All(c => char.IsLetterOrDigit(c) || c is '-' or '_');
    }
}

/// <summary>Picks the key frames of a stream by time: the first frame in each slot of the key interval on the stream's own clock
/// (pts / interval), so two runs over the same frames (one pass, or segments with overlap) agree on every frame after their first.
/// Key frames are at most the interval plus one frame step apart.</summary>
/// <param name="offsetNs">Shifts the slot boundaries earlier by this much: frames exactly on a boundary (30 fps in 1/15 s slots) then sit a
/// quarter slot inside one, and timestamp rounding cannot move them across.</param>
public sealed class KeySchedule(long keyNs, long offsetNs = 0)
{
    private long? _lastSlot;

    /// <summary>The slot on the stream's clock that holds <paramref name="ptsNs"/> (floor division, boundaries shifted by the offset).</summary>
    public long SlotOf(long ptsNs)
    {
        long t = ptsNs + offsetNs;
        return t >= 0 ? t / keyNs : -((-t + keyNs - 1) / keyNs);
    }

    public bool IsKey(long ptsNs)
    {
        if (keyNs <= 0) return true;
        long slot = SlotOf(ptsNs);
        bool key = slot != _lastSlot;
        _lastSlot = slot;
        return key;
    }
}
