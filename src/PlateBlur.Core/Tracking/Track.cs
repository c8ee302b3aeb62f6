using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>One plate followed across frames: its detections by frame index.</summary>
public sealed class Track(int id)
{
    /// <summary>Velocity is fitted to the detections in this many frames at the end of the track it is taken from.</summary>
    public const int VelocityWindow = 10;

    public int Id { get; } = id;
    /// <summary>The track's detections by frame index (added through <see cref="Add"/>).</summary>
    public SortedList<long, Detection> Hits { get; } = [];
    public long First => Hits.Keys[0];
    public long Last => Hits.Keys[^1];

    /// <summary>Presentation time of each detection's frame, by frame index.</summary>
    public Dictionary<long, long> HitNs { get; } = [];
    public long FirstNs => HitNs[First];
    public long LastNs => HitNs[Last];

    /// <summary>The plate's last measured movement in the picture from one frame to the next (frame pixels).</summary>
    public PointF Step { get; set; }

    /// <summary>The highest score among the track's detections.</summary>
    public float BestScore { get; private set; }

    /// <summary>Records the detection of the plate in <paramref name="frame"/>.</summary>
    public void Add(long frame, Detection detection, long ptsNs = long.MinValue)
    {
        Hits[frame] = detection;
        HitNs[frame] = ptsNs == long.MinValue ? (long)Math.Round(frame * 1e9 / Tracker.NominalFps) : ptsNs;
        BestScore = Math.Max(BestScore, detection.Score);
        Lost = false;
    }

    /// <summary>Time of the first of the current run of hits taken as a part of the plate and widened to the expected box (see
    /// <see cref="Tracker"/>); null when the last hit was whole.</summary>
    public long? PartialSinceNs { get; set; }

    /// <summary>Where the plate was followed in the picture in frames without a detection after some hit (gaps and the time after the
    /// last hit), including the frame of the next hit (the prediction the hit was matched to), by frame index.</summary>
    public Dictionary<long, BoxF> Followed { get; } = [];

    /// <summary>Frames after some hit where following found nothing like the plate: the place it was last found (moved with the
    /// camera) and the mask around it.</summary>
    public Dictionary<long, (BoxF Anchor, BoxF Mask)> Held { get; } = [];

    /// <summary>Frames before the first hit where following back lost the plate: the place it was first found (moved with the camera).</summary>
    public Dictionary<long, BoxF> HeldBack { get; } = [];

    /// <summary>Where the plate was followed back in the picture in frames before its first detection, by frame index.</summary>
    public Dictionary<long, BoxF> FollowedBack { get; } = [];

    /// <summary>Following after the last hit found nothing like the plate: the mask holds where it was last found.</summary>
    public bool Lost { get; set; }

    /// <summary>Following back from the first hit found nothing like the plate before this frame.</summary>
    public bool LostBack { get; set; }

    /// <summary>Per-frame velocity of the box (x, y, w, h): a least-squares line through the detections within
    /// <see cref="VelocityWindow"/> frames of the track's start or end (two points are at the mercy of one shaky box), or zero.</summary>
    public BoxF Velocity(bool atStart) => atStart ? VelocityNear(0, forward: true) : VelocityNear(Hits.Count - 1, forward: false);

    /// <summary>Velocity fitted to hit <paramref name="k"/> and the hits within <see cref="VelocityWindow"/> frames after
    /// (<paramref name="forward"/>) or before it.</summary>
    private BoxF VelocityNear(int k, bool forward)
    {
        if (Hits.Count < 2) return default;
        var keys = Hits.Keys; var values = Hits.Values;
        long edge = keys[k];
        var idx = new List<int>();
        if (forward) for (int i = k; i < Hits.Count && keys[i] - edge <= VelocityWindow; i++) idx.Add(i);
        else for (int i = k; i >= 0 && edge - keys[i] <= VelocityWindow; i--) idx.Add(i);
        if (idx.Count < 2)
        {
            int other = forward ? k + 1 : k - 1;
            if (other < 0 || other >= Hits.Count) return default;
            idx = [k, other];
        }
        double mt = idx.Average(i => (double)keys[i]);
        double stt = idx.Sum(i => (keys[i] - mt) * (keys[i] - mt));
        float Slope(Func<BoxF, float> f)
        {
            double mv = idx.Average(i => (double)f(values[i].Box));
            return (float)(idx.Sum(i => (keys[i] - mt) * (f(values[i].Box) - mv)) / stt);
        }
        return new BoxF(Slope(b => b.X), Slope(b => b.Y), Slope(b => b.W), Slope(b => b.H));
    }

    /// <summary>The box expected at <paramref name="frame"/> by constant velocity from the nearest end of the track.</summary>
    public BoxF Predict(long frame)
    {
        bool before = frame < First;
        return Extrapolate(before ? Hits.Values[0].Box : Hits.Values[^1].Box, Velocity(before), frame - (before ? First : Last));
    }

    private static BoxF Extrapolate(BoxF anchor, BoxF v, float dt)
    {
        // The size is extrapolated at most to 1.6× or 1/1.6 of the anchor: a size trend over a few noisy boxes must not blow a mask up.
        float w = Math.Clamp(anchor.W + v.W * dt, anchor.W / 1.6f, anchor.W * 1.6f), h = Math.Clamp(anchor.H + v.H * dt, anchor.H / 1.6f, anchor.H * 1.6f);
        float cx = anchor.CenterX + (v.X + v.W / 2) * dt, cy = anchor.CenterY + (v.Y + v.H / 2) * dt;
        return new BoxF(cx - w / 2, cy - h / 2, Math.Max(1, w), Math.Max(1, h));
    }
}
