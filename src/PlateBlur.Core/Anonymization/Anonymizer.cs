using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Models;
using PlateBlur.Core.Reports;

namespace PlateBlur.Core.Anonymization;

/// <summary>The local entry point: one loaded model, any number of files or folders anonymized with it.</summary>
public sealed class Anonymizer : IDisposable
{
    private readonly OnnxDetector _detector;
    private readonly OnnxDetector? _vehicleDetector;

    private Anonymizer(OnnxDetector detector, OnnxDetector? vehicles, ModelFacts model, PlateBlurOptions options)
    {
        _detector = detector;
        _vehicleDetector = vehicles;
        Model = model;
        Options = options;
        Scanner = new FrameScanner(detector, options.ScanOptions(), vehicles == null ? null : new VehicleFinder(vehicles));
    }

    public ModelFacts Model { get; }
    public PlateBlurOptions Options { get; }
    public FrameScanner Scanner { get; }

    public static async Task<Anonymizer> CreateAsync(PlateBlurOptions options, ModelStore store, IProgress<string>? log = null, CancellationToken ct = default)
    {
        options.ScanOptions(); options.TrackingOptions(); options.RedactionOptions();
        if (options.InferenceLanes is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(options.InferenceLanes), options.InferenceLanes, "inference-lanes must be 1 to 16");
        var (spec, path) = await store.ResolveAsync(options.Model, log, ct);
        var detector = new OnnxDetector(spec, path, options.Threads, options.InferenceLanes, options.ExecutionProvider) { MirrorPad = options.MirrorEdges };
        if (detector.ProviderNote != null) log?.Report($"plate model: {detector.ProviderNote}");
        OnnxDetector? vehicles = null;
        if (options.ScanOptions().Vehicles)
        {
            var (vspec, vpath) = await store.ResolveAsync(options.VehicleModel, log, ct);
            vehicles = new OnnxDetector(vspec, vpath, options.Threads, 1, detector.Provider);
        }
        var facts = new ModelFacts(spec.Name, spec.File, spec.Sha256, spec.Licence, detector.InputSize, spec.Layout.ToString(), detector.Provider);
        return new Anonymizer(detector, vehicles, facts, options);
    }

    /// <summary>Anonymizes one file; the report is written to <paramref name="reportPath"/> (default OUTPUT.report.json).</summary>
    public async Task<AnonymizationReport> AnonymizeFileAsync(
        string input, string output, bool overwrite, string? reportPath = null,
        IProgress<AnonymizeProgress>? progress = null, CancellationToken ct = default, Edits.EditsSource? edits = null)
    {
        reportPath ??= output + ".report.json";
        CheckPaths(input, output, reportPath, overwrite);
        var snapshot = File.Exists(input) ? MediaGuard.Snapshot.Of(input) : null;
        var source = await MediaProbe.ProbeAsync(input, ct, Options.Limits());
        if (source.SizeBytes > Options.MaxInputBytes)
            throw new MediaException(MediaError.TooLarge, $"{Path.GetFileName(input)} is {source.SizeBytes:N0} bytes, over the limit of {Options.MaxInputBytes:N0}.");
        try { Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MediaException(MediaError.CannotWrite, $"Cannot create the output folder of {output}: {e.Message}", e);
        }
        // The output must not mix two versions of the source: checked just before the output is moved into place.
        void BeforeCommit() => snapshot!.CheckUnchanged(source.Path);
        AnonymizationReport report;
        if (source.Kind == MediaKind.Photo)
        {
            if (!Photo.IsPhotoExtension(Path.GetExtension(output)))
                throw new MediaException(MediaError.UnsupportedFormat, $"{Path.GetFileName(input)} is a photo; the output must be .jpg, .png or .webp.");
            report = await PhotoAnonymizer.RunAsync(source, output, Scanner, Model, Options, overwrite, ct, BeforeCommit, edits);
        }
        else
        {
            report = await VideoAnonymizer.RunAsync(source, output, Scanner, Model, Options, overwrite, progress, ct, BeforeCommit, edits);
        }
        await report.WriteAsync(reportPath, ct);
        return report;
    }

    public static void CheckPaths(string input, string output, string reportPath, bool overwrite)
    {
        string inFull = Path.GetFullPath(input), outFull = Path.GetFullPath(output);
        // Compared where the files really are (links in the folders resolved), not as strings: alias/clip.mp4 can be real/clip.mp4.
        if (string.Equals(inFull, outFull, StringComparison.Ordinal) || FileIdentity.WouldOverwrite(inFull, outFull) || (File.Exists(output) && SameFile(inFull, outFull)))
            throw new MediaException(MediaError.SameAsInput, $"The output {output} is the input file: choose another path (the source is never overwritten).");
        if (string.Equals(Path.GetFullPath(reportPath), inFull, StringComparison.Ordinal) || FileIdentity.WouldOverwrite(inFull, reportPath))
            throw new MediaException(MediaError.SameAsInput, $"The report path {reportPath} is the input file.");
        if (PartialFile.IsTemporaryName(inFull))
            throw new MediaException(MediaError.NotMedia, $"{Path.GetFileName(input)} is a PlateBlur temporary file (an interrupted run); it is never taken as an input.");
        if (!overwrite && File.Exists(output))
            throw new MediaException(MediaError.OutputExists, $"{output} already exists; pass --overwrite to replace it.");
        if (!overwrite && File.Exists(reportPath))
            throw new MediaException(MediaError.OutputExists, $"{reportPath} already exists; pass --overwrite to replace it.");
        if (Directory.Exists(output))
            throw new MediaException(MediaError.OutputExists, $"{output} is a folder; give a file name for a single input.");
    }

    private static bool SameFile(string a, string b)
    {
        try
        {
            var fa = new FileInfo(a); var fb = new FileInfo(b);
            fa.Refresh(); fb.Refresh();
            return fa.ResolveLinkTarget(true)?.FullName == b || fb.ResolveLinkTarget(true)?.FullName == a;
        }
        catch (IOException) { return false; }
    }

    /// <summary>Files under a folder that look like media PlateBlur handles, in a stable order.</summary>
    public static IEnumerable<string> MediaFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(f => Photo.IsPhotoExtension(Path.GetExtension(f)) || OutputPlan.IsInputVideoExtension(Path.GetExtension(f)))
            .Where(f => !PartialFile.IsTemporaryName(f))
            .Order(StringComparer.Ordinal);

    public void Dispose()
    {
        _detector.Dispose();
        _vehicleDetector?.Dispose();
    }
}
