namespace PlateBlur.Core.Tracking;

/// <summary>How masks are carried across frames.</summary>
/// <param name="GapFrames">Gaps of up to this many frames between two detections of a track are filled by interpolation.</param>
/// <param name="ExtendFrames">Each track is also masked this many frames before its first and after its last detection.</param>
/// <param name="MatchIou">Minimum IoU between a detection and a track's predicted box to continue the track.</param>
/// <param name="StartThreshold">A detection must score at least this to start a track; weaker ones only continue tracks.</param>
/// <param name="UncertainPad">Masks not backed by a detection in their frame (interpolated across a gap, extended before or after a
/// track) are grown by this fraction of the box width on every side: between detections a plate shakes, turns and changes speed.</param>
public sealed record TrackingOptions(int GapFrames = 12, int ExtendFrames = 6, float MatchIou = 0.05f, float StartThreshold = 0f, float UncertainPad = 0.15f)
{
    /// <summary>Frames the pipeline must hold back before a frame's masks are final.</summary>
    public int Delay => Math.Max(GapFrames, ExtendFrames);

    public TrackingOptions Validate()
    {
        if (GapFrames is < 0 or > 300) throw new ArgumentOutOfRangeException(nameof(GapFrames), GapFrames, "gap must be 0–300 frames");
        if (ExtendFrames is < 0 or > 300) throw new ArgumentOutOfRangeException(nameof(ExtendFrames), ExtendFrames, "extend must be 0–300 frames");
        if (UncertainPad is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(UncertainPad), UncertainPad, "uncertain pad must be 0–2 (fraction of the box width)");
        return this;
    }
}
