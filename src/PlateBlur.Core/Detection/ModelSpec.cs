using System.Text.Json.Serialization;

namespace PlateBlur.Core.Detection;

/// <summary>Output tensor layouts the detector can decode.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutputLayout>))]
public enum OutputLayout
{
    /// <summary>[1,N,15]: cx,cy,w,h, objectness, 4 corners (8 values), 2 class scores (HyperLPR3 y5fu).</summary>
    [JsonStringEnumMemberName("yolov5-face")] Yolov5Face,
    /// <summary>[1,N,5+C]: cx,cy,w,h, objectness, C class scores.</summary>
    [JsonStringEnumMemberName("yolov5")] Yolov5,
    /// <summary>[1,4+C,N]: cx,cy,w,h then C class scores, one column per candidate (Ultralytics YOLOv8/YOLO11).</summary>
    [JsonStringEnumMemberName("yolov8")] Yolov8,
    /// <summary>[1,N,5+C] raw grid outputs over strides 8/16/32 (YOLOX without decode).</summary>
    [JsonStringEnumMemberName("yolox")] Yolox,
}

/// <summary>One model of the manifest: where it comes from, how to verify it, and how to feed and read it.</summary>
public sealed record ModelSpec
{
    public required string Name { get; init; }
    public required string File { get; init; }
    public string? Url { get; init; }
    public string? MirrorPath { get; init; }
    /// <summary>Path relative to the manifest for a model the project trained and ships itself.</summary>
    public string? BundledPath { get; init; }
    public required string Sha256 { get; init; }
    public long Bytes { get; init; }
    public required string Licence { get; init; }
    public string Role { get; init; } = "plate";
    public int InputSize { get; init; } = 640;
    public required OutputLayout Layout { get; init; }
    /// <summary>"center" or "top-left".</summary>
    public string Letterbox { get; init; } = "center";
    public float PadValue { get; init; }
    /// <summary>"rgb" or "bgr".</summary>
    public string Channels { get; init; } = "rgb";
    /// <summary>Multiplier from 0–255 pixel values to model input.</summary>
    public float Scale { get; init; } = 1f / 255f;
    public float NmsIou { get; init; } = 0.5f;
    /// <summary>Class ids that count; empty = all.</summary>
    public int[] Classes { get; init; } = [];
    /// <summary>Plate models: the score at which a detection masks a plate by default, chosen by measurement for this model
    /// (scores are not comparable between models). Null = 0.1.</summary>
    public float? Threshold { get; init; }
    /// <summary>Plate models: the score at which the QC re-detection on a masked output counts a plate left visible, chosen so that
    /// masked outputs rarely fail on false positives (measured by <c>plateblur eval</c>). Null = 0.8 × the threshold.</summary>
    public float? QcThreshold { get; init; }
    public string? Description { get; init; }
}
