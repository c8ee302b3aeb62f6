using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>Associates detections across frames and turns tracks into per-frame masks: detections, interpolated gaps, extensions.</summary>
/// <remarks>Frames are added in increasing index order with their presentation times; durations in <see cref="TrackingOptions"/> are
/// measured on those times. A frame's masks are final once a frame later than its time plus <see cref="TrackingOptions.DelayNs"/> and
/// <see cref="TrackingOptions.ToleranceNs"/> is added. When frames come with their luma (<see cref="LumaPyramid"/>), masks between
/// detections follow the plate's picture; without it they follow a constant-velocity guess.</remarks>
/// <param name="firstId">The id of the first track started (track ids count up from it in the order tracks start, so the same frames
/// with the same options give the same ids; the pipeline gives each segment its own block of ids).</param>
public sealed class Tracker(TrackingOptions options, int firstId = 1) : IDisposable
{
    /// <summary>The frame rate assumed for frames added without a time.</summary>
    public const double NominalFps = 30;

    private const long Tol = TrackingOptions.ToleranceNs;
    private readonly List<Track> _tracks = [];
    private readonly SortedList<long, long> _times = [];
    private readonly SortedList<long, LumaPyramid> _images = [];
    /// <summary>The camera's motion from the previous added frame to each frame (frame pixels), where both pictures were given.</summary>
    private readonly Dictionary<long, PointF> _camera = [];
    private readonly int _firstId = firstId;
    private int _nextId = firstId;
    private long _lastFrame = long.MinValue, _lastNs = long.MinValue;
    private long _stepNs = (long)(1e9 / NominalFps);

    public TrackingOptions Options => options;
    public int TracksStarted => _nextId - _firstId;
    public IReadOnlyList<Track> Tracks => _tracks;

    /// <summary>Adds a frame timed at <see cref="NominalFps"/> (frame / 30 s), without its picture.</summary>
    public void Add(long frame, IReadOnlyList<Detection> detections) => Add(frame, (long)Math.Round(frame * 1e9 / NominalFps), detections);

    /// <summary>Adds frame <paramref name="frame"/> shown at <paramref name="ptsNs"/>, with its detections and optionally its luma
    /// (the tracker then owns and disposes <paramref name="image"/>).</summary>
    public void Add(long frame, long ptsNs, IReadOnlyList<Detection> detections, LumaPyramid? image = null)
    {
        if (frame <= _lastFrame) { image?.Dispose(); throw new ArgumentException($"Frame {frame} added after frame {_lastFrame}; frames must increase."); }
        if (_lastNs != long.MinValue)
        {
            if (ptsNs <= _lastNs) ptsNs = _lastNs + _stepNs; // broken timestamps: keep time moving at the last step
            _stepNs = ptsNs - _lastNs;
        }
        long prev = _lastFrame;
        _lastFrame = frame; _lastNs = ptsNs;
        _times[frame] = ptsNs;
        if (image != null)
        {
            if (_images.TryGetValue(prev, out var before)) _camera[frame] = ImageMotion.Global(before, image);
            _images[frame] = image;
        }
        long gapNs = GapNs;
        // Each followed track's expected box in this frame, computed once: following, association and the partial-view check share it.
        var live = new Dictionary<Track, BoxF>();
        foreach (var t in _tracks)
        {
            long since = ptsNs - t.LastNs;
            if (since > Math.Max(gapNs, ExtensionNs(t) + Tol)) continue;
            var expected = Expect(t, frame, prev, image);
            if (image != null && !t.Held.ContainsKey(frame)) t.Followed[frame] = expected;
            if (since <= gapNs) live[t] = expected;
        }
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
            var whole = Whole(track, live[track], detections[d], ptsNs);
            if (PositionAt(track, prev) is { } before) track.Step = new PointF(whole.Box.CenterX - before.CenterX, whole.Box.CenterY - before.CenterY);
            track.Add(frame, whole, ptsNs);
            usedTracks.Add(track); usedDets.Add(d);
        }
        for (int d = 0; d < detections.Count; d++)
        {
            if (usedDets.Contains(d) || detections[d].Score < options.StartThreshold) continue;
            var t = new Track(_nextId++);
            t.Add(frame, detections[d], ptsNs);
            _tracks.Add(t);
        }
    }

    /// <summary>Hits this far apart (the gap plus one frame step) are bridged.</summary>
    private long GapNs => options.GapNsFor(_stepNs) + _stepNs + Tol;

    /// <summary>Where <paramref name="t"/> is expected in <paramref name="frame"/>: followed in the picture from its last hit when the
    /// picture is known (held where it was last found once nothing like the plate is there), else by constant velocity.</summary>
    private BoxF Expect(Track t, long frame, long prev, LumaPyramid? image)
    {
        var hit = t.Hits.Values[^1].Box;
        if (image == null || !_images.TryGetValue(t.Last, out var seen)) return t.Predict(frame);
        var from = PositionAt(t, prev) ?? hit;
        // Where nothing like the plate is found, the mask stays where it was last seen, moving only with the camera.
        var camera = _camera.GetValueOrDefault(frame);
        if (!t.Lost)
        {
            var guess = new PointF(from.CenterX + t.Step.X, from.CenterY + t.Step.Y);
            var (box, score) = ImageMotion.Match(seen, image, hit, guess, SearchRadius(hit, t.Step));
            if (score >= options.FollowMinScore)
            {
                t.Step = new PointF(box.CenterX - from.CenterX, box.CenterY - from.CenterY);
                // The picture gives the place; the detections' size trend (at most 1.6x or 1/1.6 of the last one) gives the size.
                var trend = t.Predict(frame);
                return BoxF.FromCenter(box.CenterX, box.CenterY, trend.W, trend.H);
            }
            t.Lost = true;
        }
        var held = (t.Held.TryGetValue(prev, out var h) ? h.Anchor : from).Offset(camera.X, camera.Y);
        var lost = Around(held, t.Predict(frame));
        t.Held[frame] = (held, lost);
        return lost;
    }

    /// <summary>Search radius around the guess: three quarters of the plate's size, at least 24 px and at most 96 px, plus half its last step
    /// (a faster plate is guessed worse).</summary>
    private static float SearchRadius(BoxF plate, PointF step) =>
        Math.Min(96, Math.Max(24, 0.75f * Math.Max(plate.W, 2 * plate.H)) + 0.5f * MathF.Sqrt(step.X * step.X + step.Y * step.Y));

    /// <summary>The track's box in <paramref name="frame"/>: its hit there, else where it was followed to, else null.</summary>
    private static BoxF? PositionAt(Track t, long frame) =>
        t.Hits.TryGetValue(frame, out var h) ? h.Box : t.Followed.TryGetValue(frame, out var f) ? f : t.Held.TryGetValue(frame, out var l) ? l.Mask
        : t.FollowedBack.TryGetValue(frame, out var b) ? b : null;

    /// <summary>Where a plate that following lost may be: the place it was last found (moving with the camera), joined with where its
    /// detections' constant velocity puts it, but that only up to one plate size away: the mask grows at most to about twice the plate
    /// and never flies off along a poor velocity.</summary>
    private static BoxF Around(BoxF held, BoxF predicted)
    {
        float reachX = held.W, reachY = Math.Max(held.H, 0.5f * held.W);
        float dx = Math.Clamp(predicted.CenterX - held.CenterX, -reachX, reachX), dy = Math.Clamp(predicted.CenterY - held.CenterY, -reachY, reachY);
        float w = Math.Min(predicted.W, 1.6f * held.W), hh = Math.Min(predicted.H, 1.6f * held.H);
        return held.Union(BoxF.FromCenter(held.CenterX + dx, held.CenterY + dy, w, hh));
    }

    /// <summary>A confirmed plate whose box suddenly shrinks was most likely seen in part (half hidden, dark, blocky): the hit
    /// keeps where the plate was heading as well, for at most <see cref="TrackingOptions.PartialSeconds"/> in a row (after that the
    /// plate really is that small).</summary>
    private Detection Whole(Track track, BoxF expected, Detection det, long ptsNs)
    {
        if (Confirmed(track) && det.Box.Area < options.PartialShare * expected.Area)
        {
            track.PartialSinceNs ??= ptsNs;
            if (ptsNs - track.PartialSinceNs.Value < (long)Math.Round(options.PartialSeconds * 1e9) - Tol)
                return det with { Box = det.Box.Union(expected), Corners = null };
            return det;
        }
        track.PartialSinceNs = null;
        return det;
    }

    private static float Distance(BoxF a, BoxF b)
    {
        float dx = a.CenterX - b.CenterX, dy = a.CenterY - b.CenterY;
        return MathF.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>How long <paramref name="t"/> is masked before its first and after its last detection, in nanoseconds.</summary>
    public long ExtensionNs(Track t) => options.ExtendNsFor(_stepNs, Confirmed(t));

    /// <summary>Seen often enough, and once clearly enough, to be a plate rather than a passing false alarm.</summary>
    private bool Confirmed(Track t) => t.Hits.Count >= options.ConfirmHits && t.BestScore >= options.ConfirmScore;

    /// <summary>The regions to cover in <paramref name="frame"/> (a frame that was added).</summary>
    public List<MaskBox> MasksFor(long frame)
    {
        var masks = new List<MaskBox>();
        long ns = _times.TryGetValue(frame, out var known) ? known : (long)Math.Round(frame * 1e9 / NominalFps);
        foreach (var t in _tracks)
        {
            long extend = ExtensionNs(t) + Tol;
            if (ns < t.FirstNs - extend || ns > t.LastNs + extend) continue;
            if (t.Hits.TryGetValue(frame, out var hit))
            {
                // A weak detection of a known plate is a poor view of it (dark, blocky, half hidden): its box is as uncertain as a guess.
                if (hit.Score < options.ConfirmScore && Confirmed(t))
                    masks.Add(new MaskBox(Uncertain(hit.Box), t.Id, MaskKind.Detected, Score: hit.Score));
                else
                    masks.Add(new MaskBox(hit.Box, t.Id, MaskKind.Detected, hit.Corners, hit.Score));
                continue;
            }
            int next = LowerBound(t.Hits.Keys, frame);
            bool hasPrev = next > 0, hasNext = next < t.Hits.Count;
            if (hasPrev && hasNext)
            {
                // Association only continues a track across gaps of at most GapSeconds, so any gap inside a track is bridged.
                long fa = t.Hits.Keys[next - 1], fb = t.Hits.Keys[next];
                var a = t.Hits.Values[next - 1].Box; var b = t.Hits.Values[next].Box;
                float share = (float)(ns - t.HitNs[fa]) / Math.Max(1, t.HitNs[fb] - t.HitNs[fa]);
                var linear = a.Lerp(b, share);
                if (t.Followed.TryGetValue(frame, out var followed) && t.Followed.TryGetValue(fb, out var atB))
                {
                    // Followed in the picture from a; the miss at b (where b was found against where following put it) is spread over the gap.
                    float cx = followed.CenterX + share * (b.CenterX - atB.CenterX), cy = followed.CenterY + share * (b.CenterY - atB.CenterY);
                    linear = BoxF.FromCenter(cx, cy, linear.W, linear.H);
                }
                masks.Add(new MaskBox(Uncertain(linear), t.Id, MaskKind.Interpolated));
                continue;
            }
            if (hasPrev && t.Followed.TryGetValue(frame, out var ahead))
            {
                masks.Add(new MaskBox(Uncertain(ahead), t.Id, MaskKind.Extended));
                continue;
            }
            if (hasPrev && t.Held.TryGetValue(frame, out var lost))
            {
                masks.Add(new MaskBox(Uncertain(lost.Mask), t.Id, MaskKind.Extended));
                continue;
            }
            if (!hasPrev && FollowBack(t, frame) is { } behind)
            {
                masks.Add(new MaskBox(Uncertain(behind), t.Id, MaskKind.Extended));
                continue;
            }
            var anchor = hasPrev ? t.Hits.Values[^1].Box : t.Hits.Values[0].Box;
            masks.Add(new MaskBox(Uncertain(t.Predict(frame).Union(anchor)), t.Id, MaskKind.Extended));
        }
        return masks;
    }

    /// <summary>Where <paramref name="t"/> was in <paramref name="frame"/> (before its first hit), followed back in the picture frame
    /// by frame from the first hit; held where it was last found once nothing like the plate is there. Null without pictures.</summary>
    private BoxF? FollowBack(Track t, long frame)
    {
        if (t.FollowedBack.TryGetValue(frame, out var known)) return known;
        if (!_images.TryGetValue(t.First, out var seen) || !_images.ContainsKey(frame)) return null;
        var hit = t.Hits.Values[0].Box;
        int i = _times.IndexOfKey(t.First);
        var from = hit;
        var step = new PointF(-t.Step.X, -t.Step.Y);
        if (t.Hits.Count >= 2) { var v = t.Velocity(atStart: true); step = new PointF(-(v.X + v.W / 2), -(v.Y + v.H / 2)); }
        for (int k = i - 1; k >= 0 && _times.Keys[k] >= frame; k--)
        {
            long g = _times.Keys[k];
            if (t.HeldBack.TryGetValue(g, out var anchor)) { from = anchor; continue; }
            if (t.FollowedBack.TryGetValue(g, out var cached)) { from = cached; continue; }
            if (!t.LostBack && _images.TryGetValue(g, out var image))
            {
                var guess = new PointF(from.CenterX + step.X, from.CenterY + step.Y);
                var (box, score) = ImageMotion.Match(seen, image, hit, guess, SearchRadius(hit, step));
                if (score >= options.FollowMinScore)
                {
                    step = new PointF(box.CenterX - from.CenterX, box.CenterY - from.CenterY);
                    // Before the first detection the size trend is a guess from a few hits: a plate coming closer shrinks backwards,
                    // and a trend that shrinks it faster than it did leaves its edges bare. The mask is never smaller there than the
                    // plate when it was first found.
                    var trend = t.Predict(g);
                    from = BoxF.FromCenter(box.CenterX, box.CenterY, Math.Max(trend.W, hit.W), Math.Max(trend.H, hit.H));
                }
                else t.LostBack = true;
            }
            if (t.LostBack)
            {
                // Held where the plate was first seen, moving back only with the camera (its motion into frame g + 1, reversed),
                // joined with where the detections' velocity puts it, up to a plate size away.
                var camera = _camera.GetValueOrDefault(_times.Keys[k + 1]);
                from = from.Offset(-camera.X, -camera.Y);
                t.HeldBack[g] = from;
                t.FollowedBack[g] = Around(from, t.Predict(g));
                continue;
            }
            t.FollowedBack[g] = from;
        }
        return t.FollowedBack.TryGetValue(frame, out var result) ? result : null;
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

    /// <summary>Drops tracks that can no longer touch frames at or after <paramref name="frame"/>, and frame times and pictures that
    /// neither those frames nor the following of live tracks need.</summary>
    public void Forget(long frame)
    {
        int at = LowerBound(_times.Keys, frame);
        long ns = at < _times.Count ? _times.Values[at] : _lastNs;
        long gapNs = GapNs;
        _tracks.RemoveAll(t => t.LastNs + ExtensionNs(t) + Tol < ns && _lastNs - t.LastNs > gapNs);
        long keep = frame;
        foreach (var t in _tracks)
        {
            if (_lastNs - t.LastNs <= Math.Max(gapNs, ExtensionNs(t) + Tol)) keep = Math.Min(keep, t.Last);
            if (t.Followed.Count > 64) foreach (var k in t.Followed.Keys.Where(k => k < frame && k < t.Last).ToList()) t.Followed.Remove(k);
            if (t.Held.Count > 64) foreach (var k in t.Held.Keys.Where(k => k < frame && k < t.Last).ToList()) t.Held.Remove(k);
        }
        while (_images.Count > 0 && _images.Keys[0] < keep) { _camera.Remove(_images.Keys[0]); _images.Values[0].Dispose(); _images.RemoveAt(0); }
        while (_times.Count > 0 && _times.Keys[0] < keep) _times.RemoveAt(0);
    }

    public void Dispose()
    {
        foreach (var image in _images.Values) image.Dispose();
        _images.Clear();
    }
}
