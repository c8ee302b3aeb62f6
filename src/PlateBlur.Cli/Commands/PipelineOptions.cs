using System.CommandLine;
using System.Globalization;
using System.Reflection;
using PlateBlur.Core;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;

namespace PlateBlur.Cli.Commands;

/// <summary>The command-line flags of <see cref="PlateBlurOptions"/>, from one table (<see cref="Rows"/>). Each row names a property; its flag
/// is the property's name in kebab case (<c>GapSeconds</c> → <c>--gap-seconds</c>), its default the property's default (the same as the
/// Functions app's settings), its type the property's type. The flag list (<see cref="AddTo"/>), the binding (<see cref="Bind"/>) and the
/// flags that reproduce a set of options on another command line (<see cref="ToArgs"/>) are all read from the table.
/// <para>To add a flag: add the property to <see cref="PlateBlurOptions"/> (and to the settings files, as for every setting), then one row.</para></summary>
public sealed class PipelineOptions
{
    /// <summary>Every flag that sets a <see cref="PlateBlurOptions"/> property. <see cref="Group.Anonymize"/> rows go on every command that
    /// detects and masks; <see cref="Group.Pipeline"/> rows only where a command asks for them (serve, bench-pipeline, eval).</summary>
    public static readonly IReadOnlyList<Row> Rows =
    [
        new Row<string>(nameof(PlateBlurOptions.Model), "Model name from models/manifest.json, or a path to an .onnx file"),
        new Row<DetectionMode>(nameof(PlateBlurOptions.Detection), "fast: whole frame + tiles in turn; balanced: + crops around vehicles; thorough: every tile and vehicle on every frame"),
        new Row<string>(nameof(PlateBlurOptions.VehicleModel), "Vehicle model for vehicle-first detection (name or .onnx path)"),
        new Row<PhotoSearch>(nameof(PlateBlurOptions.PhotoSearch), "Photos: full also searches the picture at eight sizes between 200 and 640 px with mirrored borders (1.25–1.4× the detection time of a photo); standard searches a photo as one video frame"),
        new Row<bool>(nameof(PlateBlurOptions.FailSecure), "Mask the plate zone of vehicles on which no plate was found lately (needs --detection balanced or thorough)", Switch: true),
        new Row<float?>(nameof(PlateBlurOptions.Threshold), "Minimum plate score (low = fewer missed plates; default: the model's own, from models/manifest.json)"),
        new Row<bool>(nameof(PlateBlurOptions.Tiles), "Also search native-resolution tiles of large frames"),
        new Row<int>(nameof(PlateBlurOptions.TileEvery), "Video: search each tile every N frames (1 = every frame; tracking bridges the rest; 0 = as --detection says)"),
        new Row<int>(nameof(PlateBlurOptions.WholeSide), "Search the whole frame shrunk to at most N px on its long side (0 = the plate model's input size, 800; smaller is faster and sees small plates worse)"),
        new Row<int>(nameof(PlateBlurOptions.CoarseSide), "Also search the whole picture shrunk to N px on its long side, for plates that fill the picture (0 = off)"),
        new Row<double>(nameof(PlateBlurOptions.KeySeconds), "Video: key frames at most S seconds apart for the vehicle model, its crops and the coarse pass; between them only the whole frame and the tiles in turn (0 = no key frames; -1 = as --detection says: fast and balanced 0.2, thorough 0)"),
        new Row<double>(nameof(PlateBlurOptions.ScanSeconds), "Video: between key frames search only the first frame of each S-second slot; the tracker carries the masks through the frames between (0 = every frame; -1 = as --detection says)"),
        new Row<double>(nameof(PlateBlurOptions.GapSeconds), "Video: fill detection gaps of up to S seconds inside a track (measured on the stream's own frame times)"),
        new Row<double>(nameof(PlateBlurOptions.ExtendSeconds), "Video: keep masking S seconds before a track's first and after its last detection"),
        new Row<double>(nameof(PlateBlurOptions.CoastSeconds), "Video: keep masking a confirmed plate at least S seconds after the detector lost it (following it in the picture)"),
        new Row<RedactionMode>(nameof(PlateBlurOptions.Mode), "How plates are covered"),
        new Row<float>(nameof(PlateBlurOptions.Pad), "Padding around each plate, as a fraction of its size"),
        new Row<bool>(nameof(PlateBlurOptions.MirrorEdges), "Fill the detector's letterbox border with the picture mirrored instead of black: finds plates cut by the picture's edge (opt-in, see docs/results.md round 7)", Switch: true),
        new Row<bool>(nameof(PlateBlurOptions.Polygon), "Cover the padded plate quadrilateral where the model gives corners (less over-masking on slanted plates)", Switch: true),
        new Row<VideoCodecChoice>(nameof(PlateBlurOptions.Codec), "Video codec (auto: H.264, or VP9 for WebM)"),
        new Row<int?>(nameof(PlateBlurOptions.Crf), "Encoder quality (lower = better; default 20 for H.264)"),
        new Row<string>(nameof(PlateBlurOptions.Preset), "Encoder speed preset"),
        new Row<bool>(nameof(PlateBlurOptions.KeepLocation), "Keep location metadata tags in videos (removed by default)", Switch: true),
        new Row<int>(nameof(PlateBlurOptions.Threads), "Detector threads (0 = all cores)"),
        new Row<string>(nameof(PlateBlurOptions.ExecutionProvider), "cpu, or cuda: the detectors on an NVIDIA GPU (a GPU build: dotnet build -p:PlateBlurGpu=true); without a usable GPU the run says so and uses the CPU"),
        new Row<int>(nameof(PlateBlurOptions.InferenceLanes), "Detector sessions run side by side on the passes of a frame, the threads shared out over them (1 = one session)"),

        new Row<double>(nameof(PlateBlurOptions.SegmentSeconds), "Target segment length", Group.Pipeline),
        new Row<int>(nameof(PlateBlurOptions.MaxSegmentsInFlight), "Segments processed at once", Group.Pipeline),
        new Row<int>(nameof(PlateBlurOptions.QcSamples), "Output frames re-checked by QC", Group.Pipeline),
        new Row<float?>(nameof(PlateBlurOptions.QcThreshold), "QC detection threshold: a re-detection at this score counts as a plate left in the output (default: the model's own, from models/manifest.json)", Group.Pipeline),
        new Row<string>(nameof(PlateBlurOptions.SourcePolicy), "delete | keep | move (to archive/), applied only after verified output passed QC", Group.Pipeline),
    ];

    public enum Group { Anonymize, Pipeline }

    /// <summary>The pipeline rows plateblur serve takes.</summary>
    public static readonly string[] Serve = [nameof(PlateBlurOptions.SegmentSeconds), nameof(PlateBlurOptions.MaxSegmentsInFlight),
        nameof(PlateBlurOptions.QcSamples), nameof(PlateBlurOptions.QcThreshold), nameof(PlateBlurOptions.SourcePolicy)];

    private static readonly PlateBlurOptions Defaults = new();
    private readonly List<(Row Row, Option Option)> _options;

    /// <summary>The flags of every <see cref="Group.Anonymize"/> row, and of the pipeline rows named in <paramref name="pipelineRows"/> (property names).</summary>
    public PipelineOptions(params string[] pipelineRows)
    {
        foreach (var name in pipelineRows)
            if (!Rows.Any(r => r.Property == name && r.In == Group.Pipeline)) throw new ArgumentException($"No pipeline row for {name}.");
        _options = Rows.Where(r => r.In == Group.Anonymize || pipelineRows.Contains(r.Property)).Select(r => (r, r.CreateOption())).ToList();
    }

    /// <summary>The option a row made for this command (e.g. to read one value on its own).</summary>
    public Option Get(string property) => _options.Single(o => o.Row.Property == property).Option;

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>The options the command line gives: each row's flag, or the property's default.</summary>
    public PlateBlurOptions Bind(ParseResult r)
    {
        var o = Defaults with { };
        foreach (var (row, option) in _options) row.Apply(o, r, option);
        return o;
    }

    /// <summary>The flags that reproduce <paramref name="o"/> on another plateblur command line (the <see cref="Group.Anonymize"/> rows:
    /// what anonymize takes).</summary>
    public static IEnumerable<string> ToArgs(PlateBlurOptions o) => Rows.Where(r => r.In == Group.Anonymize).SelectMany(r => r.Args(o));

    /// <summary>One flag: a <see cref="PlateBlurOptions"/> property, its help text, its group. A switch is a boolean flag given without
    /// a value (and left out when false); other flags always take a value, and a null value is left out.</summary>
    public abstract class Row(string property, string description, Group group, bool isSwitch)
    {
        public string Property { get; } = property;
        public string Description { get; } = description;
        public Group In { get; } = group;
        public bool Switch { get; } = isSwitch;
        public string Flag { get; } = "--" + string.Concat(property.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

        protected PropertyInfo Info { get; } = typeof(PlateBlurOptions).GetProperty(property)
            ?? throw new ArgumentException($"PlateBlurOptions has no property {property}.");

        public abstract Option CreateOption();
        public abstract void Apply(PlateBlurOptions target, ParseResult r, Option option);
        public abstract IEnumerable<string> Args(PlateBlurOptions o);
    }

    public sealed class Row<T> : Row
    {
        public Row(string property, string description, Group group = Group.Anonymize, bool Switch = false) : base(property, description, group, Switch)
        {
            if (Info.PropertyType != typeof(T))
                throw new ArgumentException($"PlateBlurOptions.{property} is {Info.PropertyType.Name}, its row says {typeof(T).Name}.");
            if (Switch && typeof(T) != typeof(bool)) throw new ArgumentException($"{property}: only a bool can be a switch.");
        }

        private T Default => (T)Info.GetValue(Defaults)!;

        public override Option CreateOption()
        {
            var option = new Option<T>(Flag) { Description = Description };
            if (!Switch && Default is { } d) option.DefaultValueFactory = _ => d;
            return option;
        }

        // The target is a fresh copy made by Bind: setting its init-only property here is the same as `with`.
        public override void Apply(PlateBlurOptions target, ParseResult r, Option option) => Info.SetValue(target, r.GetValue((Option<T>)option));

        public override IEnumerable<string> Args(PlateBlurOptions o)
        {
            object? value = Info.GetValue(o);
            if (Switch)
            {
                if ((bool)value!) yield return Flag;
                yield break;
            }
            if (value == null) yield break;
            yield return Flag;
            yield return value switch
            {
                bool b => b ? "true" : "false",
                double x => x.ToString("R", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString()!,
            };
        }
    }
}
