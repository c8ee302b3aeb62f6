namespace PlateBlur.Core.Tracking;

/// <summary>How masks are carried across frames.</summary>
/// <param name="GapFrames">Gaps of up to this many frames between two detections of a track are filled by interpolation.</param>
/// <param name="ExtendFrames">Each track is also masked this many frames before its first and after its last detection.</param>
/// <param name="MatchIou">Minimum IoU between a detection and a track's predicted box to continue the track.</param>
/// <param name="StartThreshold">A detection must score at least this to start a track; weaker ones only continue tracks.</param>
/// <param name="UncertainPad">Masks not backed by a detection in their frame (interpolated across a gap, extended before or after a
/// track) are grown by this fraction of the box width on every side: between detections a plate shakes, turns and changes speed.</param>
/// <param name="CoastFrames">A confirmed track (at least <see cref="ConfirmHits"/> detections) is extended this many frames instead of
/// <see cref="ExtendFrames"/> when that is longer: a plate seen several times does not vanish because the detector lost it for a second
/// (dark, compressed or half-hidden frames), and a plate that really left the picture costs only a mask over empty road.</param>
/// <param name="ConfirmHits">Detections that make a track confirmed (with one of them scoring at least <see cref="ConfirmScore"/>).</param>
/// <param name="ConfirmScore">Score one of a track's detections must reach for it to be confirmed. A weaker detection of a confirmed
/// track is a poor view of a known plate (dark, blocky, half hidden) and gets the <see cref="UncertainPad"/> margin too.</param>
/// <param name="PartialShare">A detection of a confirmed track smaller than this share of the track's expected box is taken as a
/// part of the plate (half hidden, dark, blocky) and widened to the expected box, for at most 5 frames in a row.</param>
public sealed record TrackingOptions(
    int GapFrames = 12, int ExtendFrames = 6, float MatchIou = 0.05f, float StartThreshold = 0f, float UncertainPad = 0.15f,
    int CoastFrames = 20, int ConfirmHits = 3, float ConfirmScore = 0f, float PartialShare = 0.6f)
{
    /// <summary>Frames the pipeline must hold back before a frame's masks are final.</summary>
    public int Delay => Math.Max(GapFrames, Math.Max(ExtendFrames, CoastFrames));

    public TrackingOptions Validate()
    {
        if (GapFrames is < 0 or > 300) throw new ArgumentOutOfRangeException(nameof(GapFrames), GapFrames, "gap must be 0–300 frames");
        if (ExtendFrames is < 0 or > 300) throw new ArgumentOutOfRangeException(nameof(ExtendFrames), ExtendFrames, "extend must be 0–300 frames");
        if (CoastFrames is < 0 or > 300) throw new ArgumentOutOfRangeException(nameof(CoastFrames), CoastFrames, "coast must be 0–300 frames");
        if (ConfirmHits < 1) throw new ArgumentOutOfRangeException(nameof(ConfirmHits), ConfirmHits, "a track needs at least one detection");
        if (UncertainPad is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(UncertainPad), UncertainPad, "uncertain pad must be 0–2 (fraction of the box width)");
        if (PartialShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(PartialShare), PartialShare, "partial share must be 0–1");
        return this;
    }
}
