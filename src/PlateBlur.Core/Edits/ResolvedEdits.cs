using System.Text.Json;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Reports;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Edits;

/// <summary>Edits turned into what every frame needs: each manual region's box per frame (followed through its span once, over the
/// whole source, so a local run and the pipeline's segments mask the same boxes) and the track ids to drop.</summary>
/// <param name="File">The edits file's name (or blob name in the pipeline).</param>
public sealed record ResolvedEdits(string? Sha256, IReadOnlyList<RegionSummary> Regions, IReadOnlyList<int> DropTracks, IReadOnlyList<ManualFrame> Frames, string? File = null)
{
    private Dictionary<long, ManualFrame>? _byFrame;
    private HashSet<int>? _drop;

    /// <summary>Manual masks carry this track id: -(region index + 1), so the report's track ids of detected plates stay positive.</summary>
    public static int TrackIdOf(int region) => -(region + 1);
    public static int RegionOf(int trackId) => -trackId - 1;

    /// <summary>Applies the edits to one frame's masks: removes dropped tracks (counting per track and keeping what was removed in
    /// <paramref name="removed"/>) and adds the manual regions.</summary>
    public void Apply(long frame, List<MaskBox> masks, Dictionary<int, long> droppedCounts, List<MaskBox> removed)
    {
        _drop ??= [.. DropTracks];
        _byFrame ??= Frames.ToDictionary(f => f.Index);
        if (_drop.Count > 0)
            for (int i = masks.Count - 1; i >= 0; i--)
                if (masks[i].TrackId > 0 && _drop.Contains(masks[i].TrackId))
                {
                    droppedCounts[masks[i].TrackId] = droppedCounts.GetValueOrDefault(masks[i].TrackId) + 1;
                    removed.Add(masks[i]);
                    masks.RemoveAt(i);
                }
        if (_byFrame.TryGetValue(frame, out var manual))
            foreach (var b in manual.Boxes)
                masks.Add(new MaskBox(new BoxF(b.X, b.Y, b.W, b.H), TrackIdOf(b.Region), MaskKind.Manual, b.Polygon is { Length: 8 } p ? Corners(p) : null));
    }

    private static PointF[] Corners(float[] p) => [new(p[0], p[1]), new(p[2], p[3]), new(p[4], p[5]), new(p[6], p[7])];

    /// <summary>The class of a mask: the manual region's class, else plate (every detected track is a plate).</summary>
    public string ClassOf(int trackId) => trackId < 0 && RegionOf(trackId) < Regions.Count ? Regions[RegionOf(trackId)].Class : "plate";

    public string? RegionIdOf(int trackId) => trackId < 0 && RegionOf(trackId) < Regions.Count ? Regions[RegionOf(trackId)].Id : null;

    public string ToJson() => JsonSerializer.Serialize(this, AnonymizationReport.Json);
    public static ResolvedEdits FromJson(string json) => JsonSerializer.Deserialize<ResolvedEdits>(json, AnonymizationReport.Json)
        ?? throw new InvalidDataException("resolved edits: empty");

    /// <summary>What the report says about the edits, once the render knows which masks were dropped.</summary>
    public EditsReport Report(IReadOnlyDictionary<int, long> droppedCounts, IReadOnlyList<FrameMasks> droppedMasks, IReadOnlyList<FrameMasks> frames)
    {
        var perRegion = new long[Regions.Count];
        foreach (var f in frames) foreach (var b in f.Boxes) if (b.Track < 0 && RegionOf(b.Track) < perRegion.Length) perRegion[RegionOf(b.Track)]++;
        var warnings = DropTracks.Where(t => droppedCounts.GetValueOrDefault(t) == 0)
            .Select(t => $"dropTracks: track {t} masks nothing in this render (unknown id? ids come from the report of a render of the same input with the same options)")
            .ToList();
        return new EditsReport(File, Sha256,
            Regions.Select((r, i) => r with { Masks = perRegion[i] }).ToList(),
            DropTracks.Select(t => new DroppedTrack(t, droppedCounts.GetValueOrDefault(t))).ToList(),
            droppedMasks, warnings);
    }
}

/// <summary>A manual region as the report lists it.</summary>
public sealed record RegionSummary(string Id, string Class, string Motion, long FirstFrame, long LastFrame, int Keys, long Masks = 0);

public sealed record ManualFrame(long Index, IReadOnlyList<ManualBox> Boxes);

/// <param name="Region">Index into <see cref="ResolvedEdits.Regions"/>.</param>
/// <param name="Polygon">x0, y0, x1, y1, … for a polygon region (moved and scaled with the box), else null.</param>
public sealed record ManualBox(int Region, float X, float Y, float W, float H, float[]? Polygon = null);

/// <summary>The edits applied to a render: the file, its manual regions with the masks each gave, the tracks dropped with the masks
/// removed (and where, so QC does not count a reviewed false positive as a missed plate), and warnings (unknown track ids).</summary>
public sealed record EditsReport(string? File, string? Sha256, IReadOnlyList<RegionSummary> Regions, IReadOnlyList<DroppedTrack> DroppedTracks,
    IReadOnlyList<FrameMasks> DroppedMasks, IReadOnlyList<string> Warnings);

public sealed record DroppedTrack(int Track, long MasksRemoved);
