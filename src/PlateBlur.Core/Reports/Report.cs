using System.Text.Json;
using System.Text.Json.Serialization;

namespace PlateBlur.Core.Reports;

/// <summary>What was masked where, with which model and options; written beside every output. Never holds plate text.</summary>
public sealed record AnonymizationReport
{
    public string Tool { get; init; } = "PlateBlur";
    public string Version { get; init; } = typeof(AnonymizationReport).Assembly.GetName().Version?.ToString() ?? "0";
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;
    public required string Kind { get; init; }
    public required MediaFacts Input { get; init; }
    public MediaFacts? Output { get; init; }
    public required ModelFacts Model { get; init; }
    public required PlateBlurOptions Options { get; init; }
    public required Counts Counts { get; init; }
    public required StageTimings Timings { get; init; }
    /// <summary>Peak resident memory of the process that wrote the report (Linux VmHWM), in MB.</summary>
    public double PeakMemoryMb { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public IReadOnlyList<string> Metadata { get; init; } = [];
    public IReadOnlyList<FrameMasks> Frames { get; init; } = [];
    public QcReport? Qc { get; init; }
    /// <summary>Masks per class (plate for every detected track; a manual region's own class).</summary>
    public IReadOnlyDictionary<string, long>? MasksByClass { get; init; }
    /// <summary>The edits file applied (manual regions, dropped tracks); absent when none was given.</summary>
    public Edits.EditsReport? Edits { get; init; }
    /// <summary>How the serverless pipeline ran this file (absent for local runs).</summary>
    public PipelineFacts? Pipeline { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public async Task WriteAsync(string path, CancellationToken ct = default)
    {
        using var partial = new Anonymization.PartialFile(path, "report");
        await using (var f = File.Create(partial.TempPath))
            await JsonSerializer.SerializeAsync(f, this, Json, ct);
        partial.Commit(overwrite: true);
    }

    /// <summary>Masks per class in <paramref name="frames"/>: a manual mask's class, else plate.</summary>
    public static IReadOnlyDictionary<string, long> CountByClass(IEnumerable<FrameMasks> frames) =>
        new SortedDictionary<string, long>(frames.SelectMany(f => f.Boxes).GroupBy(b => b.Class ?? "plate").ToDictionary(g => g.Key, g => (long)g.Count()), StringComparer.Ordinal);

    public static AnonymizationReport Read(string path) =>
        JsonSerializer.Deserialize<AnonymizationReport>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is not a report.");
}

/// <summary>Probe facts of one file, as the report records them.</summary>
public sealed record MediaFacts(
    string Path, long SizeBytes, string Format, double DurationSeconds, int Streams,
    string? VideoCodec, int Width, int Height, int Rotation, string? FrameRate, long FrameCount, bool VariableFrameRate,
    IReadOnlyList<string> AudioCodecs);

/// <param name="Provider">Where the detector ran: cpu, or cuda.</param>
public sealed record ModelFacts(string Name, string File, string Sha256, string Licence, int InputSize, string Layout, string Provider = "cpu");

/// <param name="Inferences">Detector runs (whole frame, tiles, crops) over the whole file.</param>
public sealed record Counts(long Frames, long FramesWithMasks, long Masks, long Detections, int Tracks, long Inferences = 0);

/// <summary>Seconds spent per stage. Decode and encode run in ffmpeg processes beside detection, so they count the time the pipeline waited on them.</summary>
public sealed record StageTimings(double Decode, double Detect, double Track, double Redact, double Encode, double Mux, double Verify, double Total)
{
    public StageTimings Add(StageTimings o) => new(Decode + o.Decode, Detect + o.Detect, Track + o.Track, Redact + o.Redact, Encode + o.Encode, Mux + o.Mux, Verify + o.Verify, Total + o.Total);
}

/// <summary>The regions covered in one frame (padded and clipped, in source pixels).</summary>
public sealed record FrameMasks(long Index, double Time, IReadOnlyList<MaskRecord> Boxes);

/// <param name="Track">The track's id (positive; stable across renders of the same input with the same options), 0 for fail-secure
/// zones, negative for a manual region (-1 for the edits file's first region, …).</param>
/// <param name="Class">Set on manual regions (plate, face, screen, logo, document, other); absent means plate.</param>
/// <param name="Region">The manual region's id in the edits file.</param>
/// <param name="Score">The detector's score, on detected masks.</param>
public sealed record MaskRecord(float X, float Y, float W, float H, int Track, string Kind, string? Class = null, string? Region = null, float? Score = null);

/// <summary>Segments and stage times of a pipeline run.</summary>
public sealed record PipelineFacts(string InstanceId, int Segments, bool SplitReEncoded, double SplitSeconds, double SlowestSegmentSeconds, double StitchSeconds);

/// <summary>Quality control on the output: sampled frames re-detected at a lower threshold.</summary>
public sealed record QcReport(bool Passed, int Samples, float Threshold, IReadOnlyList<QcSampleResult> Results, string? ContactSheet);

public sealed record QcSampleResult(long Frame, double Time, IReadOnlyList<MaskRecord> Residual);

/// <summary>Facts about the running process that reports include.</summary>
public static class ProcessStats
{
    /// <summary>Peak resident set so far in MB (Linux VmHWM); 0 where /proc is not available.</summary>
    public static double PeakMemoryMb()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line == null ? 0 : Math.Round(double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }
}
