using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Edits;

/// <summary>Carries each manual region through its span: from every key frame the region's picture is followed frame by frame with the
/// same block matching plate tracks use (<see cref="ImageMotion.Match"/> on <see cref="LumaPyramid"/>s), forward to the next key (the
/// miss on arrival is spread over the gap, as the tracker does between detections, and the size is interpolated) and after the last
/// key, backward before the first key. Where nothing like the region is found, it moves with the camera (<see cref="ImageMotion.Global"/>).
/// Regions with motion "fixed" are interpolated between keys and held before and after. Runs on the whole source, once.</summary>
public static class EditsResolver
{
    private const int BackChunk = 48;

    public static ResolvedEdits ForPhoto(ValidEdits edits, string? sha256, string? file = null)
    {
        var boxes = new List<ManualBox>();
        for (int i = 0; i < edits.Regions.Count; i++)
        {
            var k = edits.Regions[i].Keys[0];
            boxes.Add(Box(i, k.Box, k));
        }
        return new ResolvedEdits(sha256, Summaries(edits), edits.DropTracks, boxes.Count > 0 ? [new ManualFrame(0, boxes)] : [], file);
    }

    public static async Task<ResolvedEdits> ResolveAsync(ValidEdits edits, string? sha256, string path, VideoStreamInfo video, FrameTimeline timeline,
        TrackingOptions tracking, CancellationToken ct = default, string? file = null)
    {
        var perFrame = new SortedDictionary<long, List<ManualBox>>();
        void Put(long f, ManualBox b) { if (!perFrame.TryGetValue(f, out var l)) perFrame[f] = l = []; l.Add(b); }
        var pts = timeline.PtsNs;
        var follow = new List<(int Index, ValidRegion Region)>();
        for (int i = 0; i < edits.Regions.Count; i++)
        {
            var r = edits.Regions[i];
            if (r.Motion == "fixed" || r.FirstFrame == r.LastFrame)
            {
                for (long f = r.FirstFrame; f <= r.LastFrame; f++) Put(f, Box(i, Interpolated(r, f, pts), KeyAtOrBefore(r, f)));
            }
            else follow.Add((i, r));
        }
        if (follow.Count > 0)
        {
            var boxes = await FollowAsync(follow, path, video, timeline, tracking.FollowMinScore, ct);
            foreach (var (i, r) in follow)
                for (long f = r.FirstFrame; f <= r.LastFrame; f++) Put(f, Box(i, boxes[i][f], KeyAtOrBefore(r, f)));
        }
        var frames = perFrame.Select(p => new ManualFrame(p.Key, p.Value.Select(b => Clip(b, video.Width, video.Height)).ToList())).ToList();
        return new ResolvedEdits(sha256, Summaries(edits), edits.DropTracks, frames, file);
    }

    private static List<RegionSummary> Summaries(ValidEdits e) =>
        e.Regions.Select(r => new RegionSummary(r.Id, r.Class, r.Motion, r.FirstFrame, r.LastFrame, r.Keys.Count)).ToList();

    private static ValidKey KeyAtOrBefore(ValidRegion r, long f) => r.Keys.LastOrDefault(k => k.Frame <= f) ?? r.Keys[0];

    /// <summary>The box of a fixed region: linear between keys (on the frames' times), held before the first and after the last.</summary>
    private static BoxF Interpolated(ValidRegion r, long f, IReadOnlyList<long> pts)
    {
        var keys = r.Keys;
        if (f <= keys[0].Frame) return keys[0].Box;
        if (f >= keys[^1].Frame) return keys[^1].Box;
        int j = 1; while (keys[j].Frame < f) j++;
        var a = keys[j - 1]; var b = keys[j];
        float share = (float)(pts[(int)f] - pts[(int)a.Frame]) / Math.Max(1, pts[(int)b.Frame] - pts[(int)a.Frame]);
        return a.Box.Lerp(b.Box, share);
    }

    /// <summary>The region's box with the key's polygon moved and scaled onto it.</summary>
    private static ManualBox Box(int region, BoxF box, ValidKey key)
    {
        float[]? poly = null;
        if (key.Polygon != null)
        {
            var k = key.Box;
            float sx = box.W / Math.Max(1e-3f, k.W), sy = box.H / Math.Max(1e-3f, k.H);
            poly = key.Polygon.SelectMany(p => new[] { R(box.X + (p.X - k.X) * sx), R(box.Y + (p.Y - k.Y) * sy) }).ToArray();
        }
        return new ManualBox(region, R(box.X), R(box.Y), R(box.W), R(box.H), poly);
    }

    private static ManualBox Clip(ManualBox b, int width, int height)
    {
        var c = new BoxF(b.X, b.Y, b.W, b.H).Clip(width, height);
        return b with { X = R(c.X), Y = R(c.Y), W = R(Math.Max(1, c.W)), H = R(Math.Max(1, c.H)) };
    }

    private static float R(float v) => MathF.Round(v, 1);

    /// <summary>One region followed from a reference picture: where it is in each next picture, by block matching, or with the camera once lost.</summary>
    private sealed class Follower(LumaPyramid reference, BoxF box, float minScore)
    {
        public LumaPyramid Reference { get; } = reference;
        private readonly BoxF _key = box;
        private PointF _step;
        private bool _lost;
        public BoxF Position { get; private set; } = box;

        public BoxF Next(LumaPyramid image, PointF camera)
        {
            var from = Position;
            if (!_lost)
            {
                var guess = new PointF(from.CenterX + _step.X, from.CenterY + _step.Y);
                float radius = Math.Min(96, Math.Max(24, 0.5f * Math.Max(_key.W, _key.H))) + 0.5f * MathF.Sqrt(_step.X * _step.X + _step.Y * _step.Y);
                var (m, score) = ImageMotion.Match(Reference, image, _key, guess, radius);
                if (score >= minScore)
                {
                    _step = new PointF(m.CenterX - from.CenterX, m.CenterY - from.CenterY);
                    return Position = BoxF.FromCenter(m.CenterX, m.CenterY, _key.W, _key.H);
                }
                _lost = true;
            }
            return Position = from.Offset(camera.X, camera.Y);
        }
    }

    /// <summary>Follows every region through its span; returns each region's box by frame.</summary>
    private static async Task<Dictionary<int, Dictionary<long, BoxF>>> FollowAsync(List<(int Index, ValidRegion Region)> regions, string path,
        VideoStreamInfo video, FrameTimeline timeline, float minScore, CancellationToken ct)
    {
        var result = regions.ToDictionary(r => r.Index, _ => new Dictionary<long, BoxF>());
        var pts = timeline.PtsNs;
        // Forward: from each key to the next (recording where following arrived at the next key) and after the last key.
        var forward = regions.ToDictionary(r => r.Index, _ => new Dictionary<long, BoxF>());
        var arrived = regions.ToDictionary(r => r.Index, _ => new Dictionary<long, BoxF>());
        var followers = new Dictionary<int, Follower>();
        int first = (int)regions.Min(r => r.Region.Keys[0].Frame), end = (int)regions.Max(r => r.Region.LastFrame) + 1;
        LumaPyramid? prev = null;
        var alive = new HashSet<LumaPyramid>();
        try
        {
            await foreach (var frame in FrameReader.ReadAsync(path, video, timeline, first, end, ct))
            {
                long f = frame.Index;
                var image = new LumaPyramid(frame.Y, frame.Width, frame.Height, frame.Width);
                alive.Add(image);
                frame.Dispose();
                var camera = prev == null ? default : ImageMotion.Global(prev, image);
                foreach (var (i, r) in regions)
                {
                    if (f < r.Keys[0].Frame || f > r.LastFrame) continue;
                    var key = r.Keys.FirstOrDefault(k => k.Frame == f);
                    if (key != null)
                    {
                        if (followers.TryGetValue(i, out var was)) arrived[i][f] = was.Next(image, camera);
                        followers[i] = new Follower(image, key.Box, minScore);
                        forward[i][f] = key.Box;
                    }
                    else if (followers.TryGetValue(i, out var fo)) forward[i][f] = fo.Next(image, camera);
                }
                prev = image;
                // Pictures still needed: this one (the camera's motion into the next) and each follower's reference.
                var keep = followers.Values.Select(x => x.Reference).Append(image).ToHashSet();
                foreach (var p in alive.Where(p => !keep.Contains(p)).ToList()) { p.Dispose(); alive.Remove(p); }
            }
        }
        finally
        {
            foreach (var p in alive) p.Dispose();
            followers.Clear();
        }
        foreach (var (i, r) in regions)
        {
            var keys = r.Keys;
            for (long f = keys[0].Frame; f <= r.LastFrame; f++)
            {
                if (!forward[i].TryGetValue(f, out var box)) throw new InvalidDataException($"region \"{r.Id}\": frame {f} could not be read");
                int j = keys.Count(k => k.Frame <= f) - 1; // the key at or before f
                if (j + 1 < keys.Count && keys[j].Frame != f)
                {
                    // Between two keys: the followed place, with the miss at the next key spread over the gap and the size interpolated.
                    var a = keys[j]; var b = keys[j + 1];
                    float share = (float)(pts[(int)f] - pts[(int)a.Frame]) / Math.Max(1, pts[(int)b.Frame] - pts[(int)a.Frame]);
                    var at = arrived[i][b.Frame];
                    var size = a.Box.Lerp(b.Box, share);
                    box = BoxF.FromCenter(box.CenterX + share * (b.Box.CenterX - at.CenterX), box.CenterY + share * (b.Box.CenterY - at.CenterY), size.W, size.H);
                }
                result[i][f] = box;
            }
        }
        // Backward: before the first key, followed back from it, read in chunks from the key towards the span's start.
        foreach (var (i, r) in regions.Where(x => x.Region.FirstFrame < x.Region.Keys[0].Frame))
        {
            var key = r.Keys[0];
            LumaPyramid? reference = null;
            await foreach (var frame in FrameReader.ReadAsync(path, video, timeline, (int)key.Frame, (int)key.Frame + 1, ct))
            {
                reference = new LumaPyramid(frame.Y, frame.Width, frame.Height, frame.Width);
                frame.Dispose();
            }
            if (reference == null) throw new InvalidDataException($"region \"{r.Id}\": key frame {key.Frame} could not be read");
            var follower = new Follower(reference, key.Box, minScore);
            LumaPyramid later = reference;
            try
            {
                for (int chunkEnd = (int)key.Frame; chunkEnd > r.FirstFrame; chunkEnd -= BackChunk)
                {
                    int chunkStart = Math.Max((int)r.FirstFrame, chunkEnd - BackChunk);
                    var pics = new List<(long Index, LumaPyramid Image)>();
                    try
                    {
                        await foreach (var frame in FrameReader.ReadAsync(path, video, timeline, chunkStart, chunkEnd, ct))
                        {
                            pics.Add((frame.Index, new LumaPyramid(frame.Y, frame.Width, frame.Height, frame.Width)));
                            frame.Dispose();
                        }
                        if (pics.Count != chunkEnd - chunkStart) throw new InvalidDataException($"region \"{r.Id}\": frames {chunkStart}–{chunkEnd - 1} could not be read");
                        for (int k = pics.Count - 1; k >= 0; k--)
                        {
                            var (f, image) = pics[k];
                            result[i][f] = follower.Next(image, ImageMotion.Global(later, image));
                            if (later != reference) later.Dispose();
                            later = image;
                            pics.RemoveAt(k);
                        }
                    }
                    finally { foreach (var p in pics) p.Image.Dispose(); }
                }
            }
            finally
            {
                if (later != reference) later.Dispose();
                reference.Dispose();
            }
        }
        return result;
    }
}

/// <summary>An edits file as read: its document, its sha256 (recorded in the report) and its name.</summary>
public sealed record EditsSource(EditsDocument Document, string Sha256, string File)
{
    public static EditsSource Load(string path)
    {
        var (doc, sha) = EditsDocument.Load(path);
        return new EditsSource(doc, sha, Path.GetFileName(path));
    }

    /// <summary>Parses an edits file's bytes (a blob); <paramref name="name"/> names it in errors and the report.</summary>
    public static EditsSource Parse(byte[] bytes, string name) =>
        new(EditsDocument.Parse(bytes, name), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant(), name);

    /// <summary>Validates against a video's frames and follows its regions (the same for a local run and the pipeline's Plan step).</summary>
    public async Task<ResolvedEdits> ResolveVideoAsync(string path, VideoStreamInfo video, FrameTimeline timeline, TrackingOptions tracking, CancellationToken ct = default)
    {
        var valid = Document.Validate(video.Width, video.Height, timeline.PtsNs, File);
        return await EditsResolver.ResolveAsync(valid, Sha256, path, video, timeline, tracking, ct, File);
    }

    /// <summary>Validates against a photo (one frame, index 0, time 0).</summary>
    public ResolvedEdits ResolvePhoto(int width, int height) => EditsResolver.ForPhoto(Document.Validate(width, height, [0L], File), Sha256, File);
}
