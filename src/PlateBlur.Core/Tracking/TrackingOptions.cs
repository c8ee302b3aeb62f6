namespace PlateBlur.Core.Tracking;

/// <summary>How masks are carried across frames. Durations are in seconds and are turned into frames with each stream's own frame
/// times, so a 10 fps dashcam, a 60 fps camera and a variable-rate phone clip bridge the same stretch of time.</summary>
/// <param name="GapSeconds">Gaps of up to this long between two detections of a track (the time of the frames without one) are filled.</param>
/// <param name="ExtendSeconds">Each track is also masked this long before its first and after its last detection.</param>
/// <param name="MatchIou">Minimum IoU between a detection and a track's predicted box to continue the track.</param>
/// <param name="StartThreshold">A detection must score at least this to start a track; weaker ones only continue tracks.</param>
/// <param name="UncertainPad">Masks not backed by a detection in their frame (interpolated across a gap, extended before or after a
/// track) are grown by this fraction of the box width on every side: between detections a plate shakes, turns and changes speed.</param>
/// <param name="CoastSeconds">A confirmed track (at least <see cref="ConfirmHits"/> detections) is extended this long instead of
/// <see cref="ExtendSeconds"/> when that is longer: a plate seen several times does not vanish because the detector lost it for a moment
/// (dark, compressed or half-hidden frames), and a plate that really left the picture costs only a mask where it was last seen.</param>
/// <param name="ConfirmHits">Detections that make a track confirmed (with one of them scoring at least <see cref="ConfirmScore"/>).</param>
/// <param name="ConfirmScore">Score one of a track's detections must reach for it to be confirmed. A weaker detection of a confirmed
/// track is a poor view of a known plate (dark, blocky, half hidden) and gets the <see cref="UncertainPad"/> margin too.</param>
/// <param name="PartialShare">A detection of a confirmed track smaller than this share of the track's expected box is taken as a
/// part of the plate (half hidden, dark, blocky) and widened to the expected box, for at most <see cref="PartialSeconds"/> in a row.</param>
/// <param name="PartialSeconds">How long in a row detections may be widened as partial views (after that the plate really is that small).</param>
/// <param name="MinGapFrames">Floors in frames under the durations in seconds: the scanner revisits a region every few frames (tiles
/// and the vehicle model take turns), whatever the frame rate, so a low-rate stream still bridges a few scanner cycles.</param>
/// <param name="MinExtendFrames">Floor under <see cref="ExtendSeconds"/>, in frames.</param>
/// <param name="MinCoastFrames">Floor under <see cref="CoastSeconds"/>, in frames.</param>
/// <param name="FollowMinScore">Between detections a mask follows the plate's own picture (block matching on the luma plane);
/// where the best match correlates less than this with the plate as last seen, the mask stays where the plate was last found.</param>
public sealed record TrackingOptions(
    double GapSeconds = 0.4, double ExtendSeconds = 0.2, float MatchIou = 0.05f, float StartThreshold = 0f, float UncertainPad = 0.15f,
    double CoastSeconds = 2.0 / 3, int ConfirmHits = 3, float ConfirmScore = 0f, float PartialShare = 0.6f, double PartialSeconds = 5.0 / 30,
    float FollowMinScore = 0.5f, int MinGapFrames = 0, int MinExtendFrames = 0, int MinCoastFrames = 0)
{
    /// <summary>Frame steps longer than this (pauses in a variable-rate stream) count as this much under the frame floors.</summary>
    public const long MaxFloorStepNs = 200_000_000;

    public int MaxFloorFrames => Math.Max(MinGapFrames, Math.Max(MinExtendFrames, MinCoastFrames));

    /// <summary>The longest gap between two detections that is bridged, for frames <paramref name="stepNs"/> apart (frame floor applied).</summary>
    public long GapNsFor(long stepNs) => Math.Max(Ns(GapSeconds), MinGapFrames * FloorStep(stepNs));

    /// <summary>How long a track is masked before its first and after its last detection, for frames <paramref name="stepNs"/> apart:
    /// a confirmed track coasts (<see cref="CoastSeconds"/>), any track is extended (<see cref="ExtendSeconds"/>); frame floors applied.</summary>
    public long ExtendNsFor(long stepNs, bool confirmed) => confirmed
        ? Math.Max(Ns(Math.Max(ExtendSeconds, CoastSeconds)), Math.Max(MinExtendFrames, MinCoastFrames) * FloorStep(stepNs))
        : Math.Max(Ns(ExtendSeconds), MinExtendFrames * FloorStep(stepNs));

    /// <summary><see cref="DelayNs"/> with the frame floors applied for frame steps of up to <paramref name="stepNs"/>.</summary>
    public long DelayNsFor(long stepNs) => Math.Max(GapNsFor(stepNs), ExtendNsFor(stepNs, confirmed: true));

    private static long Ns(double seconds) => (long)Math.Round(seconds * 1e9);
    private static long FloorStep(long stepNs) => Math.Clamp(stepNs, 0, MaxFloorStepNs);

    /// <summary>Slack on every time comparison: container time bases round frame times by up to a millisecond or so.</summary>
    public const long ToleranceNs = 2_000_000;

    /// <summary>How long the pipeline must hold a frame back before its masks are final: a frame at time t is final once a frame
    /// later than t + <see cref="DelayNs"/> + <see cref="ToleranceNs"/> was added (or the stream ended).</summary>
    public double DelaySeconds => Math.Max(GapSeconds, Math.Max(ExtendSeconds, CoastSeconds));

    public long DelayNs => (long)Math.Round(DelaySeconds * 1e9);

    /// <summary>Frames held back (at most) for a stream whose shortest step between frames is <paramref name="minStepNs"/>; also the
    /// overlap a segment needs on each side for tracks to be warm at its cuts.</summary>
    public int DelayFrames(long minStepNs) => (int)Math.Min(10_000, Math.Max((DelayNs + ToleranceNs) / Math.Max(1_000_000, minStepNs) + 1, MaxFloorFrames + 1));

    /// <summary><see cref="DelayFrames(long)"/> for the shortest step between consecutive times in <paramref name="ptsNs"/>.</summary>
    public int DelayFrames(IReadOnlyList<long> ptsNs)
    {
        long min = long.MaxValue;
        for (int i = 1; i < ptsNs.Count; i++)
            if (ptsNs[i] > ptsNs[i - 1]) min = Math.Min(min, ptsNs[i] - ptsNs[i - 1]);
        return DelayFrames(min == long.MaxValue ? 33_333_333 : min);
    }

    public TrackingOptions Validate()
    {
        if (GapSeconds is < 0 or > 10 || double.IsNaN(GapSeconds)) throw new ArgumentOutOfRangeException(nameof(GapSeconds), GapSeconds, "gap must be 0–10 seconds");
        if (ExtendSeconds is < 0 or > 10 || double.IsNaN(ExtendSeconds)) throw new ArgumentOutOfRangeException(nameof(ExtendSeconds), ExtendSeconds, "extend must be 0–10 seconds");
        if (CoastSeconds is < 0 or > 10 || double.IsNaN(CoastSeconds)) throw new ArgumentOutOfRangeException(nameof(CoastSeconds), CoastSeconds, "coast must be 0–10 seconds");
        if (PartialSeconds is < 0 or > 10 || double.IsNaN(PartialSeconds)) throw new ArgumentOutOfRangeException(nameof(PartialSeconds), PartialSeconds, "partial run must be 0–10 seconds");
        if (ConfirmHits < 1) throw new ArgumentOutOfRangeException(nameof(ConfirmHits), ConfirmHits, "a track needs at least one detection");
        if (UncertainPad is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(UncertainPad), UncertainPad, "uncertain pad must be 0–2 (fraction of the box width)");
        if (PartialShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(PartialShare), PartialShare, "partial share must be 0–1");
        if (MinGapFrames is < 0 or > 300 || MinExtendFrames is < 0 or > 300 || MinCoastFrames is < 0 or > 300)
            throw new ArgumentOutOfRangeException(nameof(MinGapFrames), "frame floors must be 0–300 frames");
        if (FollowMinScore is < -1 or > 1) throw new ArgumentOutOfRangeException(nameof(FollowMinScore), FollowMinScore, "follow score must be -1–1");
        return this;
    }
}
