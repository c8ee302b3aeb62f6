using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core;

/// <summary>The one options record: bound from the "PlateBlur" configuration section (app settings PlateBlur__Name), the CLI flags (--name) and the infra templates.</summary>
public sealed record PlateBlurOptions
{
    public const string Section = "PlateBlur";

    // Detection
    public string Model { get; init; } = "hyperlpr3-640";
    public float Threshold { get; init; } = 0.1f;
    public float ContinueThreshold { get; init; } = 0.05f;
    public bool Tiles { get; init; } = true;
    public int TileEvery { get; init; } = 3;
    public float TileOverlap { get; init; } = 0.25f;

    // Tracking
    public int GapFrames { get; init; } = 12;
    public int ExtendFrames { get; init; } = 6;

    // Redaction
    public RedactionMode Mode { get; init; } = RedactionMode.Blur;
    public float Pad { get; init; } = 0.15f;
    public bool Polygon { get; init; }

    // Encoding and metadata
    public VideoCodecChoice Codec { get; init; } = VideoCodecChoice.Auto;
    public int? Crf { get; init; }
    public string Preset { get; init; } = "medium";
    public bool KeepLocation { get; init; }
    public int Threads { get; init; }

    // Pipeline (segments, QC, source policy)
    public double SegmentSeconds { get; init; } = 10;
    public int SegmentOverlapFrames { get; init; } = 24;
    public int MaxSegmentsInFlight { get; init; } = 4;
    public int QcSamples { get; init; } = 12;
    public float QcThreshold { get; init; } = 0.08f;
    public string SourcePolicy { get; init; } = "delete";
    public long MaxInputBytes { get; init; } = 20L * 1024 * 1024 * 1024;
    /// <summary>NCRONTAB schedule of the Functions app's inbox sweep (local runs without Event Grid); read by the Functions host.</summary>
    public string SweepSchedule { get; init; } = "*/10 * * * * *";

    public ScanOptions ScanOptions() => new ScanOptions(Threshold, Tiles, TileEvery, TileOverlap, Math.Min(ContinueThreshold, Threshold)).Validate();
    public TrackingOptions TrackingOptions() => new TrackingOptions(GapFrames, ExtendFrames, StartThreshold: Threshold).Validate();
    public RedactionOptions RedactionOptions() => new RedactionOptions(Mode, Pad, Polygon: Polygon).Validate();
}
