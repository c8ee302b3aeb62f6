using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>One plate followed across frames: its detections by frame index.</summary>
public sealed class Track(int id)
{
    public int Id { get; } = id;
    public SortedList<long, Detection> Hits { get; } = [];
    public long First => Hits.Keys[0];
    public long Last => Hits.Keys[^1];

    /// <summary>Per-frame velocity of the box (x, y, w, h) from the last two hits, or zero.</summary>
    public BoxF Velocity(bool atStart)
    {
        if (Hits.Count < 2) return default;
        int a = atStart ? 0 : Hits.Count - 2, b = a + 1;
        float dt = Hits.Keys[b] - Hits.Keys[a];
        var p = Hits.Values[a].Box; var q = Hits.Values[b].Box;
        return new BoxF((q.X - p.X) / dt, (q.Y - p.Y) / dt, (q.W - p.W) / dt, (q.H - p.H) / dt);
    }

    /// <summary>The box expected at <paramref name="frame"/> by constant velocity from the nearest end of the track.</summary>
    public BoxF Predict(long frame)
    {
        bool before = frame < First;
        var anchor = before ? Hits.Values[0].Box : Hits.Values[^1].Box;
        var v = Velocity(before);
        float dt = frame - (before ? First : Last);
        return new BoxF(anchor.X + v.X * dt, anchor.Y + v.Y * dt, Math.Max(1, anchor.W + v.W * dt), Math.Max(1, anchor.H + v.H * dt));
    }
}
