using System.CommandLine;
using PlateBlur.Core;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;

namespace PlateBlur.Cli.Commands;

/// <summary>The flags shared by every command that detects and masks; each flag is named after its <see cref="PlateBlurOptions"/> property.</summary>
public sealed class PipelineOptions
{
    private static readonly PlateBlurOptions D = new();

    public Option<string> Model { get; } = new("--model") { Description = "Model name from models/manifest.json, or a path to an .onnx file", DefaultValueFactory = _ => D.Model };
    public Option<DetectionMode> Detection { get; } = new("--detection") { Description = "fast: whole frame + tiles in turn; balanced: + crops around vehicles; thorough: every tile and vehicle on every frame", DefaultValueFactory = _ => D.Detection };
    public Option<string> VehicleModel { get; } = new("--vehicle-model") { Description = "Vehicle model for vehicle-first detection (name or .onnx path)", DefaultValueFactory = _ => D.VehicleModel };
    public Option<bool> FailSecure { get; } = new("--fail-secure") { Description = "Mask the plate zone of vehicles on which no plate was found lately (needs --detection balanced or thorough)" };
    public Option<float?> Threshold { get; } = new("--threshold") { Description = "Minimum plate score (low = fewer missed plates; default: the model's own, from models/manifest.json)" };
    public Option<bool> Tiles { get; } = new("--tiles") { Description = "Also search native-resolution tiles of large frames", DefaultValueFactory = _ => D.Tiles };
    public Option<int> TileEvery { get; } = new("--tile-every") { Description = "Video: search each tile every N frames (1 = every frame; tracking bridges the rest; 0 = as --detection says)", DefaultValueFactory = _ => D.TileEvery };
    public Option<double> KeySeconds { get; } = new("--key-seconds") { Description = "Video: key frames at most S seconds apart; between them only the whole frame and the tiles in turn (vehicle model, vehicle crops and coarse pass on key frames; 0 = no key frames; -1 = as --detection says: fast and balanced 0.2, thorough 0)", DefaultValueFactory = _ => D.KeySeconds };
    public Option<int> CoarseSide { get; } = new("--coarse-side") { Description = "Also search the whole picture shrunk to N px on its long side, for plates that fill the picture (0 = off)", DefaultValueFactory = _ => D.CoarseSide };
    public Option<double> GapSeconds { get; } = new("--gap-seconds") { Description = "Video: fill detection gaps of up to S seconds inside a track (measured on the stream's own frame times)", DefaultValueFactory = _ => D.GapSeconds };
    public Option<double> ExtendSeconds { get; } = new("--extend-seconds") { Description = "Video: keep masking S seconds before a track's first and after its last detection", DefaultValueFactory = _ => D.ExtendSeconds };
    public Option<double> CoastSeconds { get; } = new("--coast-seconds") { Description = "Video: keep masking a confirmed plate at least S seconds after the detector lost it (following it in the picture)", DefaultValueFactory = _ => D.CoastSeconds };
    public Option<RedactionMode> Mode { get; } = new("--mode") { Description = "How plates are covered", DefaultValueFactory = _ => D.Mode };
    public Option<float> Pad { get; } = new("--pad") { Description = "Padding around each plate, as a fraction of its size", DefaultValueFactory = _ => D.Pad };
    public Option<bool> Polygon { get; } = new("--polygon") { Description = "Cover the padded plate quadrilateral where the model gives corners (less over-masking on slanted plates)" };
    public Option<VideoCodecChoice> Codec { get; } = new("--codec") { Description = "Video codec (auto: H.264, or VP9 for WebM)", DefaultValueFactory = _ => D.Codec };
    public Option<int?> Crf { get; } = new("--crf") { Description = "Encoder quality (lower = better; default 20 for H.264)" };
    public Option<string> Preset { get; } = new("--preset") { Description = "Encoder speed preset", DefaultValueFactory = _ => D.Preset };
    public Option<bool> KeepLocation { get; } = new("--keep-location") { Description = "Keep location metadata tags in videos (removed by default)" };
    public Option<int> Threads { get; } = new("--threads") { Description = "Detector threads (0 = all cores)", DefaultValueFactory = _ => D.Threads };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Detection, VehicleModel, FailSecure, Threshold, Tiles, TileEvery, CoarseSide, KeySeconds, GapSeconds, ExtendSeconds, CoastSeconds, Mode, Pad, Polygon, Codec, Crf, Preset, KeepLocation, Threads })
            command.Options.Add(o);
    }

    /// <summary>The flags that reproduce <paramref name="o"/> on another plateblur command line.</summary>
    public static IEnumerable<string> ToArgs(PlateBlurOptions o)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        yield return "--model"; yield return o.Model;
        yield return "--detection"; yield return o.Detection.ToString();
        yield return "--vehicle-model"; yield return o.VehicleModel;
        if (o.FailSecure) yield return "--fail-secure";
        if (o.Threshold is { } threshold) { yield return "--threshold"; yield return threshold.ToString(inv); }
        yield return "--tiles"; yield return o.Tiles ? "true" : "false";
        yield return "--tile-every"; yield return o.TileEvery.ToString(inv);
        yield return "--coarse-side"; yield return o.CoarseSide.ToString(inv);
        yield return "--key-seconds"; yield return o.KeySeconds.ToString(inv);
        yield return "--gap-seconds"; yield return o.GapSeconds.ToString("R", inv);
        yield return "--extend-seconds"; yield return o.ExtendSeconds.ToString("R", inv);
        yield return "--coast-seconds"; yield return o.CoastSeconds.ToString("R", inv);
        yield return "--mode"; yield return o.Mode.ToString();
        yield return "--pad"; yield return o.Pad.ToString(inv);
        if (o.Polygon) yield return "--polygon";
        yield return "--codec"; yield return o.Codec.ToString();
        if (o.Crf is { } crf) { yield return "--crf"; yield return crf.ToString(inv); }
        yield return "--preset"; yield return o.Preset;
        if (o.KeepLocation) yield return "--keep-location";
        yield return "--threads"; yield return o.Threads.ToString(inv);
    }

    public PlateBlurOptions Bind(ParseResult r) => D with
    {
        Model = r.GetValue(Model)!,
        Detection = r.GetValue(Detection),
        VehicleModel = r.GetValue(VehicleModel)!,
        FailSecure = r.GetValue(FailSecure),
        Threshold = r.GetValue(Threshold),
        Tiles = r.GetValue(Tiles),
        TileEvery = r.GetValue(TileEvery),
        CoarseSide = r.GetValue(CoarseSide),
        KeySeconds = r.GetValue(KeySeconds),
        GapSeconds = r.GetValue(GapSeconds),
        ExtendSeconds = r.GetValue(ExtendSeconds),
        CoastSeconds = r.GetValue(CoastSeconds),
        Mode = r.GetValue(Mode),
        Pad = r.GetValue(Pad),
        Polygon = r.GetValue(Polygon),
        Codec = r.GetValue(Codec),
        Crf = r.GetValue(Crf),
        Preset = r.GetValue(Preset)!,
        KeepLocation = r.GetValue(KeepLocation),
        Threads = r.GetValue(Threads),
    };
}
