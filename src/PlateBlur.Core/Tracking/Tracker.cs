using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>Associates detections across frames and turns tracks into per-frame masks: detections, interpolated gaps, extensions.</summary>
/// <remarks>Frames are added in increasing index order. A frame's masks are final once frames up to its index plus <see cref="TrackingOptions.Delay"/> are added.</remarks>
public sealed class Tracker(TrackingOptions options)
{
    private readonly List<Track> _tracks = [];
    private int _nextId = 1;
    private long _lastFrame = long.MinValue;

    public TrackingOptions Options => options;
    public int TracksStarted => _nextId - 1;
    public IReadOnlyList<Track> Tracks => _tracks;

    public void Add(long frame, IReadOnlyList<Detection> detections)
    {
        if (frame <= _lastFrame) throw new ArgumentException($"Frame {frame} added after frame {_lastFrame}; frames must increase.");
        _lastFrame = frame;
        // Each live track's expected box in this frame, computed once: association and the partial-view check both use it.
        var live = _tracks.Where(t => frame - t.Last <= options.GapFrames + 1).ToDictionary(t => t, t => t.Predict(frame));
        var pairs = new List<(float score, Track track, int det)>();
        for (int d = 0; d < detections.Count; d++)
        {
            foreach (var (t, predicted) in live)
            {
                var box = detections[d].Box;
                // A plate does not change its size fourfold between two sightings: a small box on a large plate's grille or
                // characters is another object, and taking it as the plate would derail the track's motion.
                float ratio = box.Area / Math.Max(1e-3f, predicted.Area);
                if (ratio is < 0.25f or > 4f) continue;
                float iou = predicted.Iou(box);
                float dist = Distance(predicted, box);
                float reach = Math.Max(predicted.W, predicted.H) * 0.5f;
                if (iou >= options.MatchIou || dist <= reach)
                    pairs.Add((iou + Math.Max(0, 1 - dist / reach) * 0.01f, t, d));
            }
        }
        var usedTracks = new HashSet<Track>();
        var usedDets = new HashSet<int>();
        foreach (var (_, track, d) in pairs.OrderByDescending(p => p.score))
        {
            if (usedTracks.Contains(track) || usedDets.Contains(d)) continue;
            track.Add(frame, Whole(track, live[track], detections[d]));
            usedTracks.Add(track); usedDets.Add(d);
        }
        for (int d = 0; d < detections.Count; d++)
        {
            if (usedDets.Contains(d) || detections[d].Score < options.StartThreshold) continue;
            var t = new Track(_nextId++);
            t.Add(frame, detections[d]);
            _tracks.Add(t);
        }
    }

    /// <summary>A confirmed plate whose box suddenly shrinks was most likely seen in part (half hidden, dark, blocky): the hit
    /// keeps where the plate was heading as well, for at most <see cref="MaxPartialRun"/> frames in a row (after that the plate
    /// really is that small).</summary>
    private Detection Whole(Track track, BoxF expected, Detection det)
    {
        if (Confirmed(track) && track.PartialRun < MaxPartialRun)
        {
            if (det.Box.Area < options.PartialShare * expected.Area)
            {
                track.PartialRun++;
                return det with { Box = det.Box.Union(expected), Corners = null };
            }
        }
        track.PartialRun = 0;
        return det;
    }

    private const int MaxPartialRun = 5;

    private static float Distance(BoxF a, BoxF b)
    {
        float dx = a.CenterX - b.CenterX, dy = a.CenterY - b.CenterY;
        return MathF.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>How many frames <paramref name="t"/> is masked before its first and after its last detection.</summary>
    public int ExtensionOf(Track t) => Confirmed(t) ? Math.Max(options.ExtendFrames, options.CoastFrames) : options.ExtendFrames;

    /// <summary>Seen often enough, and once clearly enough, to be a plate rather than a passing false alarm.</summary>
    private bool Confirmed(Track t) => t.Hits.Count >= options.ConfirmHits && t.BestScore >= options.ConfirmScore;

    /// <summary>The regions to cover in <paramref name="frame"/>.</summary>
    public List<MaskBox> MasksFor(long frame)
    {
        var masks = new List<MaskBox>();
        foreach (var t in _tracks)
        {
            int extend = ExtensionOf(t);
            if (frame < t.First - extend || frame > t.Last + extend) continue;
            if (t.Hits.TryGetValue(frame, out var hit))
            {
                // A weak detection of a known plate is a poor view of it (dark, blocky, half hidden): its box is as uncertain as a guess.
                if (hit.Score < options.ConfirmScore && Confirmed(t))
                    masks.Add(new MaskBox(Uncertain(hit.Box), t.Id, MaskKind.Detected));
                else
                    masks.Add(new MaskBox(hit.Box, t.Id, MaskKind.Detected, hit.Corners));
                continue;
            }
            int next = LowerBound(t.Hits.Keys, frame);
            bool hasPrev = next > 0, hasNext = next < t.Hits.Count;
            if (hasPrev && hasNext)
            {
                // Association only continues a track across gaps of at most GapFrames, so any gap inside a track is bridged.
                long fa = t.Hits.Keys[next - 1], fb = t.Hits.Keys[next];
                var a = t.Hits.Values[next - 1].Box; var b = t.Hits.Values[next].Box;
                masks.Add(new MaskBox(Uncertain(a.Lerp(b, (float)(frame - fa) / (fb - fa))), t.Id, MaskKind.Interpolated));
                continue;
            }
            var anchor = hasPrev ? t.Hits.Values[^1].Box : t.Hits.Values[0].Box;
            masks.Add(new MaskBox(Uncertain(t.Predict(frame).Union(anchor)), t.Id, MaskKind.Extended));
        }
        return masks;
    }

    /// <summary>A box where no detection confirms the plate: grown on every side by <see cref="TrackingOptions.UncertainPad"/> × its width.</summary>
    private BoxF Uncertain(BoxF box) => box.Pad(0, box.W * options.UncertainPad);

    private static int LowerBound(IList<long> keys, long value)
    {
        int lo = 0, hi = keys.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (keys[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Drops tracks that can no longer touch frames at or after <paramref name="frame"/>.</summary>
    public void Forget(long frame) => _tracks.RemoveAll(t => t.Last + ExtensionOf(t) < frame && _lastFrame - t.Last > options.GapFrames + 1);
}
