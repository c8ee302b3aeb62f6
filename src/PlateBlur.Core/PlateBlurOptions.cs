using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<DetectionMode>))]
public enum DetectionMode { Fast, Balanced, Thorough }

/// <summary>How a photo is searched: Full (the default) adds the middle of the scale pyramid and mirrored letterbox borders to what a
/// video frame gets; Standard searches a photo exactly as one video frame.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PhotoSearch>))]
public enum PhotoSearch { Standard, Full }

/// <summary>The one options record: bound from the "PlateBlur" configuration section (app settings PlateBlur__Name), the CLI flags (--name) and the infra templates.</summary>
public sealed record PlateBlurOptions
{
    public const string Section = "PlateBlur";

    // Detection
    public string Model { get; init; } = "plateblur-plate-800";
    /// <summary>How much work goes into finding plates: Fast (whole frame + tiles in turn), Balanced (+ crops around vehicles,
    /// the vehicle model every third frame), Thorough (every tile and the vehicle model on every frame).</summary>
    public DetectionMode Detection { get; init; } = DetectionMode.Balanced;
    public string VehicleModel { get; init; } = "yolox-nano";
    /// <summary>Score at which a detection masks a plate; null = the model's own default from the manifest (scores differ between
    /// models), <see cref="FallbackThreshold"/> for a model file the manifest does not know.</summary>
    public float? Threshold { get; init; }
    /// <summary>Video: score down to which detections keep an existing track alive; null = half the threshold.</summary>
    public float? ContinueThreshold { get; init; }
    public bool Tiles { get; init; } = true;
    /// <summary>Video: each tile is searched every N frames; 0 = as the detection mode says.</summary>
    public int TileEvery { get; init; }
    public float TileOverlap { get; init; } = 0.25f;
    /// <summary>The coarse end of the scale pyramid: the whole picture is also searched shrunk to this many pixels on its long side,
    /// so plates that fill the picture are found; 0 = off.</summary>
    public int CoarseSide { get; init; } = 160;
    /// <summary>The whole-frame pass searches the picture shrunk to at most this many pixels on its long side; 0 = the plate model's own
    /// input size (800). Smaller is faster (640: 44 % fewer pixels in that pass at 16:9) and sees small plates worse; the native tiles
    /// are not changed (docs/results.md round 8 measures 640).</summary>
    public int WholeSide { get; init; }
    /// <summary>Video: the coarse pass, the vehicle model and the crops around vehicles run on key frames at most this many seconds
    /// apart; the frames between get the whole frame and their turn of the tiles. 0 = no key frames (the vehicle model every 3rd frame,
    /// crops on every frame); -1 = as the detection mode says (fast and balanced 0.2, thorough 0).</summary>
    public double KeySeconds { get; init; } = -1;
    public double EffectiveKeySeconds => KeySeconds >= 0 ? KeySeconds : Detection == DetectionMode.Thorough ? 0 : 0.2;
    /// <summary>Video: between key frames a frame is searched only when it starts a new slot of this many seconds on the stream's clock;
    /// the tracker carries the masks through the frames between. 0 = every frame; -1 = as the detection mode says.</summary>
    public double ScanSeconds { get; init; } = -1;
    public double EffectiveScanSeconds => ScanSeconds >= 0 ? ScanSeconds : Detection == DetectionMode.Thorough ? 0 : 0;
    /// <summary>Fill the model input's letterbox border with the picture mirrored about its edges instead of black, so a plate cut by
    /// the picture's edge is found (docs/results.md round 7: plates cut by the top or bottom edge 83–87 % covered with black, 99.4 %
    /// mirrored). Off by default: on the clips as published it moved the report half's 3–9 px plates (9 → 71 leaked natively,
    /// 10 → 3 at about 10 fps).</summary>
    public bool MirrorEdges { get; init; }

    /// <summary>Photos: Full also searches the whole picture at eight sizes between the coarse pass and the whole-frame pass (200–640 px on
    /// its long side) and mirrors the picture into every pass's letterbox border (plates cut by the photo's edge); Standard searches a
    /// photo as one video frame. Full takes 1.25–1.4× a photo's detection time and gives more false masks and looser boxes; it covers
    /// close-up, two-line, night and yellow plates the frame search misses (docs/results.md round 9 has the figures).</summary>
    public PhotoSearch PhotoSearch { get; init; } = PhotoSearch.Full;

    /// <summary>Video, with vehicle-first detection: when no plate has been found on a vehicle for a few frames, mask the zone
    /// where plates sit on it (fail-secure for plates too small, oblique or dirty for the plate model).</summary>
    public bool FailSecure { get; init; }
    /// <summary>Fail-secure applies to vehicles at least this tall in pixels.</summary>
    public int FailSecureMinVehicleHeight { get; init; } = 24;

    // Tracking (seconds, measured on each stream's own frame times; the defaults are 12, 6 and 20 frames at 30 fps)
    /// <summary>Video: detection gaps of up to this long inside a track are filled.</summary>
    public double GapSeconds { get; init; } = 0.4;
    /// <summary>Video: every track is masked this long before its first and after its last detection.</summary>
    public double ExtendSeconds { get; init; } = 0.2;
    /// <summary>Video: a confirmed plate (seen several times, once clearly) is masked at least this long after it was last detected.</summary>
    public double CoastSeconds { get; init; } = 0.6667;

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
    /// <summary>Detector sessions run side by side on the passes of one frame (the Threads shared out over them; 1 = one session).</summary>
    public int InferenceLanes { get; init; } = 2;
    /// <summary>Where the detectors run: cpu, or cuda (a GPU build, -p:PlateBlurGpu=true, on a machine with an NVIDIA GPU); without a usable
    /// GPU the run says so and uses the CPU.</summary>
    public string ExecutionProvider { get; init; } = "cpu";

    // Pipeline (segments, QC, source policy)
    public double SegmentSeconds { get; init; } = 10;
    public int SegmentOverlapFrames { get; init; } = 24;
    public int MaxSegmentsInFlight { get; init; } = 4;
    public int QcSamples { get; init; } = 12;
    /// <summary>Score at which a QC frame still shows a plate (the output goes to quarantine); null = the model's own from the
    /// manifest (chosen so that masked outputs rarely fail on false positives), 0.8 × the threshold for an unknown model file.</summary>
    public float? QcThreshold { get; init; }
    public string SourcePolicy { get; init; } = "delete";
    public long MaxInputBytes { get; init; } = 20L * 1024 * 1024 * 1024;

    // Hostile-input limits, checked on the headers before anything is decoded
    /// <summary>Largest picture side in pixels (video frames and photos).</summary>
    public int MaxSide { get; init; } = MediaLimits.Default.MaxSide;
    /// <summary>Largest picture in megapixels (video frames and photos).</summary>
    public double MaxMegapixels { get; init; } = MediaLimits.Default.MaxMegapixels;
    /// <summary>Longest media a file may claim, in seconds.</summary>
    public double MaxDurationSeconds { get; init; } = MediaLimits.Default.MaxDurationSeconds;
    /// <summary>Most video frames a file may hold.</summary>
    public long MaxFrames { get; init; } = MediaLimits.Default.MaxFrames;
    /// <summary>Most streams (video, audio, subtitles, data) a file may hold.</summary>
    public int MaxStreams { get; init; } = MediaLimits.Default.MaxStreams;
    /// <summary>NCRONTAB schedule of the Functions app's inbox sweep (local runs without Event Grid); read by the Functions host.</summary>
    public string SweepSchedule { get; init; } = "*/10 * * * * *";

    public const float FallbackThreshold = 0.1f;
    public float EffectiveThreshold => Threshold ?? Models.ModelManifest.Embedded.RecommendedThreshold(Model);
    public float EffectiveContinueThreshold => Math.Min(ContinueThreshold ?? EffectiveThreshold / 2, EffectiveThreshold);
    public float EffectiveQcThreshold => QcThreshold ?? Models.ModelManifest.Embedded.RecommendedQcThreshold(Model) ?? EffectiveThreshold * 0.8f;

    /// <remarks>With key frames (<see cref="EffectiveKeySeconds"/> &gt; 0) the coarse pass, the vehicle model and the vehicle crops run on
    /// key frames only; the whole frame and the tiles in turn run on every frame.</remarks>
    public ScanOptions ScanOptions()
    {
        int every = Detection == DetectionMode.Thorough ? 1 : 3;
        return new ScanOptions(EffectiveThreshold, Tiles, TileEvery > 0 ? TileEvery : every, TileOverlap, EffectiveContinueThreshold,
            Vehicles: Detection != DetectionMode.Fast, VehicleEvery: every, CoarseSide: CoarseSide, KeySeconds: EffectiveKeySeconds,
            ScanSeconds: EffectiveScanSeconds, WholeSide: WholeSide, PhotoFull: PhotoSearch == PhotoSearch.Full).Validate();
    }
    /// <summary>Tracking at these settings; a track is confirmed (and coasts through misses) once a detection scored twice the start threshold.</summary>
    /// <remarks>Frame floors (12 / 6 / 20 frames) sit under the durations in seconds: the scanner's own cadence (tiles and the vehicle
    /// model every 3rd frame) is counted in frames, so a low-rate stream still bridges a few scanner cycles.</remarks>
    public TrackingOptions TrackingOptions() => new TrackingOptions(GapSeconds, ExtendSeconds, StartThreshold: EffectiveThreshold, CoastSeconds: CoastSeconds,
        ConfirmScore: Math.Min(0.9f, 2 * EffectiveThreshold), MinGapFrames: 12, MinExtendFrames: 6, MinCoastFrames: 20).Validate();
    public MediaLimits Limits() => new MediaLimits(MaxSide, MaxMegapixels, MaxDurationSeconds, MaxFrames, MaxStreams).Validate();
    public RedactionOptions RedactionOptions() => new RedactionOptions(Mode, Pad, Polygon: Polygon).Validate();
}
