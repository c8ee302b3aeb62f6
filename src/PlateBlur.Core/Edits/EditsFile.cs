using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Edits;

/// <summary>A reviewer's corrections to one file (<c>NAME.edits.json</c>, schema <see cref="Schema"/>; docs/edits.md): regions to mask
/// that the detector missed, and tracks to drop (false positives), by the ids the report gives them.</summary>
public sealed class EditsDocument
{
    public const string Schema = "plateblur.edits/1";

    /// <summary>The classes a region can have; tracks found by the detector are plates.</summary>
    public static readonly string[] Classes = ["plate", "face", "screen", "logo", "document", "other"];

    [JsonPropertyName("schema")] public string? SchemaName { get; set; }
    /// <summary>The file the edits were made for (informative: the edits apply to whatever input they are given with).</summary>
    public string? Source { get; set; }
    public string? Note { get; set; }
    public List<RegionEdit> Regions { get; set; } = [];
    /// <summary>Track ids as the report of a render of the same input names them.</summary>
    public List<int> DropTracks { get; set; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and parses an edits file; a file that is not JSON of this schema is refused with the reason.</summary>
    public static (EditsDocument Doc, string Sha256) Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new InvalidDataException($"edits file {path} does not exist"); }
        catch (DirectoryNotFoundException) { throw new InvalidDataException($"edits file {path} does not exist"); }
        return (Parse(bytes, Path.GetFileName(path)), Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
    }

    public static EditsDocument Parse(byte[] json, string name)
    {
        if (json.Length > 16 << 20) throw new InvalidDataException($"edits file {name} is over 16 MB");
        // The schema first, so an edits file of another version gets that reason and not a complaint about a field.
        string? schema;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"edits file {name}: not a JSON object");
            schema = doc.RootElement.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        }
        catch (JsonException e) { throw new InvalidDataException($"edits file {name} is not valid JSON: {e.Message}", e); }
        if (schema == null) throw new InvalidDataException($"edits file {name}: no \"schema\"; expected \"{Schema}\"");
        if (schema != Schema) throw new InvalidDataException($"edits file {name}: unknown schema \"{schema}\"; this PlateBlur reads \"{Schema}\"");
        try
        {
            return JsonSerializer.Deserialize<EditsDocument>(json, Json) ?? throw new InvalidDataException($"edits file {name} is empty");
        }
        catch (JsonException e) { throw new InvalidDataException($"edits file {name}: {e.Message}", e); }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Checks every region against the frame size and the stream's frames and turns times into frame indices.</summary>
    /// <param name="ptsNs">The presentation time of each frame (a photo: one frame at 0).</param>
    /// <exception cref="InvalidDataException">Every problem found, one per line.</exception>
    public ValidEdits Validate(int width, int height, IReadOnlyList<long> ptsNs, string name = "edits")
    {
        var errors = new List<string>();
        var regions = new List<ValidRegion>();
        int frames = ptsNs.Count;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Regions.Count; i++)
        {
            var r = Regions[i];
            string id = string.IsNullOrWhiteSpace(r.Id) ? $"region-{i + 1}" : r.Id.Trim();
            string where = $"region \"{id}\"";
            if (id.Length > 64 || id.Any(char.IsControl)) { errors.Add($"regions[{i}]: id must be at most 64 printable characters"); continue; }
            if (!ids.Add(id)) errors.Add($"{where}: the id is used twice");
            string cls = r.Class ?? "";
            if (!Classes.Contains(cls)) errors.Add($"{where}: class \"{cls}\" is not one of {string.Join(", ", Classes)}");
            string motion = r.Motion ?? "follow";
            if (motion is not ("follow" or "fixed")) errors.Add($"{where}: motion \"{motion}\" is not follow or fixed");
            if (r.Keys.Count == 0) { errors.Add($"{where}: no keys (a region needs a box or polygon on at least one frame)"); continue; }
            var keys = new List<ValidKey>();
            for (int k = 0; k < r.Keys.Count; k++)
            {
                var key = r.Keys[k];
                string kw = $"{where} key {k + 1}";
                long? frame = FrameOf(key.Frame, key.Time, kw, "frame", "time", ptsNs, errors);
                if (frame == null) continue;
                BoxF box; PointF[]? poly = null;
                if ((key.Box == null) == (key.Polygon == null)) { errors.Add($"{kw}: give exactly one of box [x, y, w, h] or polygon [[x, y], …]"); continue; }
                if (key.Box != null)
                {
                    if (key.Box.Length != 4 || key.Box.Any(v => !float.IsFinite(v))) { errors.Add($"{kw}: box must be [x, y, w, h] (4 numbers)"); continue; }
                    box = new BoxF(key.Box[0], key.Box[1], key.Box[2], key.Box[3]);
                    if (box.W < 2 || box.H < 2) { errors.Add($"{kw}: box {Show(box)} is smaller than 2 x 2 pixels"); continue; }
                }
                else
                {
                    var p = key.Polygon!;
                    if (p.Length < 3 || p.Any(q => q.Length != 2 || !float.IsFinite(q[0]) || !float.IsFinite(q[1]))) { errors.Add($"{kw}: polygon needs at least 3 points [x, y]"); continue; }
                    poly = p.Select(q => new PointF(q[0], q[1])).ToArray();
                    box = BoxF.FromCorners(poly.Min(q => q.X), poly.Min(q => q.Y), poly.Max(q => q.X), poly.Max(q => q.Y));
                    if (box.W < 2 || box.H < 2) { errors.Add($"{kw}: polygon spans less than 2 x 2 pixels"); continue; }
                }
                const float tol = 0.5f;
                if (box.X < -tol || box.Y < -tol || box.Right > width + tol || box.Bottom > height + tol)
                { errors.Add($"{kw}: {(poly == null ? "box" : "polygon")} {Show(box)} is outside the {width} x {height} frame"); continue; }
                box = box.Clip(width, height);
                if (keys.Any(q => q.Frame == frame)) { errors.Add($"{kw}: frame {frame} has two keys"); continue; }
                keys.Add(new ValidKey(frame.Value, box, poly));
            }
            if (keys.Count != r.Keys.Count) continue;
            keys.Sort((a, b) => a.Frame.CompareTo(b.Frame));
            long from = keys[0].Frame, to = keys[^1].Frame;
            if (r.Span != null)
            {
                var s = r.Span;
                if (s.FromFrame < 0 || s.ToFrame < 0 || s.FromTime < 0 || s.ToTime < 0) { errors.Add($"{where}: span is negative"); continue; }
                long? f0 = s.FromFrame == null && s.FromTime == null ? from : FrameOf(s.FromFrame, s.FromTime, $"{where} span", "fromFrame", "fromTime", ptsNs, errors);
                long? f1 = s.ToFrame == null && s.ToTime == null ? to : FrameOf(s.ToFrame, s.ToTime, $"{where} span", "toFrame", "toTime", ptsNs, errors);
                if (f0 == null || f1 == null) continue;
                if (f1 < f0) { errors.Add($"{where}: span ends (frame {f1}) before it starts (frame {f0}): a negative span"); continue; }
                if (keys[0].Frame < f0 || keys[^1].Frame > f1) { errors.Add($"{where}: keys (frames {keys[0].Frame}–{keys[^1].Frame}) lie outside the span (frames {f0}–{f1})"); continue; }
                (from, to) = (f0.Value, f1.Value);
            }
            regions.Add(new ValidRegion(id, cls, motion, from, to, keys));
        }
        foreach (var t in DropTracks.Where(t => t <= 0).Distinct()) errors.Add($"dropTracks: {t} is not a track id (ids are positive; see the report's frames[].boxes[].track)");
        if (errors.Count > 0) throw new InvalidDataException($"{name}: {errors.Count} problem(s):\n  " + string.Join("\n  ", errors));
        return new ValidEdits(regions, DropTracks.Distinct().Order().ToList());

        static string Show(BoxF b) => string.Create(CultureInfo.InvariantCulture, $"[{b.X:0.#}, {b.Y:0.#}, {b.W:0.#}, {b.H:0.#}]");
    }

    /// <summary>A frame index from a frame or a time (seconds on the report's time axis: the frame's presentation time); null after an error.</summary>
    private static long? FrameOf(long? frame, double? time, string where, string frameName, string timeName, IReadOnlyList<long> ptsNs, List<string> errors)
    {
        int frames = ptsNs.Count;
        if (frame != null)
        {
            if (frame < 0 || frame >= frames) { errors.Add($"{where}: {frameName} {frame} is outside the stream (frames 0–{frames - 1})"); return null; }
            if (time != null)
            {
                long at = NearestIndex(ptsNs, (long)Math.Round(time.Value * 1e9));
                if (at != frame) { errors.Add($"{where}: {frameName} {frame} and {timeName} {time} name different frames ({at})"); return null; }
            }
            return frame;
        }
        if (time == null) { errors.Add($"{where}: give {frameName} or {timeName}"); return null; }
        if (!double.IsFinite(time.Value) || time < 0) { errors.Add($"{where}: {timeName} {time} is negative"); return null; }
        double last = (ptsNs[^1] + (frames > 1 ? ptsNs[^1] - ptsNs[^2] : 0)) / 1e9;
        if (time > last + 1e-6) { errors.Add($"{where}: {timeName} {time} s is after the end of the stream ({last:0.###} s)"); return null; }
        return NearestIndex(ptsNs, (long)Math.Round(time.Value * 1e9));
    }

    private static int NearestIndex(IReadOnlyList<long> pts, long ns)
    {
        int lo = 0, hi = pts.Count - 1;
        while (lo < hi) { int mid = (lo + hi) / 2; if (pts[mid] < ns) lo = mid + 1; else hi = mid; }
        if (lo > 0 && Math.Abs(pts[lo - 1] - ns) <= Math.Abs(pts[lo] - ns)) lo--;
        return lo;
    }
}

public sealed class RegionEdit
{
    public string? Id { get; set; }
    /// <summary>plate, face, screen, logo, document or other.</summary>
    public string? Class { get; set; }
    /// <summary>follow (default): carried through its span by the picture's motion; fixed: interpolated between keys, held before and after.</summary>
    public string? Motion { get; set; }
    /// <summary>The frames masked (default: first key to last key).</summary>
    public SpanEdit? Span { get; set; }
    public List<KeyEdit> Keys { get; set; } = [];
}

public sealed class SpanEdit
{
    public long? FromFrame { get; set; }
    public long? ToFrame { get; set; }
    public double? FromTime { get; set; }
    public double? ToTime { get; set; }
}

public sealed class KeyEdit
{
    public long? Frame { get; set; }
    public double? Time { get; set; }
    /// <summary>[x, y, w, h] in stored-frame pixels, as the report's boxes.</summary>
    public float[]? Box { get; set; }
    public float[][]? Polygon { get; set; }
}

public sealed record ValidKey(long Frame, BoxF Box, PointF[]? Polygon);

public sealed record ValidRegion(string Id, string Class, string Motion, long FirstFrame, long LastFrame, IReadOnlyList<ValidKey> Keys);

public sealed record ValidEdits(IReadOnlyList<ValidRegion> Regions, IReadOnlyList<int> DropTracks);
