using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Media;
using PlateBlur.Core.Models;
using PlateBlur.Core.Reports;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur anonymize INPUT -o OUTPUT: a video, a photo, or a folder mirrored into an output folder.</summary>
public static class AnonymizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A video, a photo, or a folder (searched recursively)" };
        var output = new Option<string>("--output", "-o") { Description = "Output file, or output folder when INPUT is a folder", Required = true };
        var report = new Option<string?>("--report") { Description = "Report JSON path (default OUTPUT.report.json; for a folder, a summary of all files)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output, only errors and the summary" };
        var edits = new Option<string?>("--edits") { Description = "An edits file (NAME.edits.json, docs/edits.md): manual regions to mask and track ids to drop; single files only" };
        var pipeline = new PipelineOptions();
        var cmd = new Command("anonymize", "Cover every licence plate in a video, photo or folder and write the result with a JSON report") { input };
        cmd.Options.Add(output); cmd.Options.Add(report); cmd.Options.Add(overwrite); cmd.Options.Add(quiet); cmd.Options.Add(edits);
        pipeline.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var progress = new ConsoleProgress(r.GetValue(quiet));
            try
            {
                var options = pipeline.Bind(r);
                string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
                var editsFile = r.GetValue(edits);
                if (editsFile != null && Directory.Exists(inPath)) throw new ArgumentException("--edits applies to one file; INPUT is a folder.");
                // Read and parsed before the model loads: a bad edits file costs nothing and writes nothing.
                var editsSource = editsFile == null ? null : PlateBlur.Core.Edits.EditsSource.Load(editsFile);
                using var anonymizer = await Anonymizer.CreateAsync(options, ModelStore.FromEnvironment(), new Progress<string>(progress.Log), ct);
                return Directory.Exists(inPath)
                    ? await RunFolderAsync(anonymizer, inPath, outPath, r.GetValue(report), r.GetValue(overwrite), progress, ct)
                    : await RunFileAsync(anonymizer, inPath, outPath, r.GetValue(report), r.GetValue(overwrite), progress, ct, editsSource);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                progress.Done();
                Console.Error.WriteLine("plateblur: cancelled; partial outputs were removed, the source is untouched.");
                return 130;
            }
            catch (Exception e) when (IsExpected(e))
            {
                progress.Done();
                Console.Error.WriteLine($"plateblur: {Message(e)}");
                return 1;
            }
        });
        return cmd;
    }

    private static async Task<int> RunFileAsync(Anonymizer anonymizer, string input, string output, string? reportPath, bool overwrite, ConsoleProgress progress, CancellationToken ct,
        PlateBlur.Core.Edits.EditsSource? edits = null)
    {
        var sw = Stopwatch.StartNew();
        var report = await anonymizer.AnonymizeFileAsync(input, output, overwrite, reportPath, progress, ct, edits);
        progress.Done();
        foreach (var w in report.Edits?.Warnings ?? []) Console.Error.WriteLine($"plateblur: warning: {w}");
        Console.WriteLine(Summary(input, output, report, sw.Elapsed));
        return 0;
    }

    private static async Task<int> RunFolderAsync(Anonymizer anonymizer, string input, string output, string? reportPath, bool overwrite, ConsoleProgress progress, CancellationToken ct)
    {
        string inRoot = Path.GetFullPath(input), outRoot = Path.GetFullPath(output);
        if (File.Exists(outRoot)) throw new MediaException(MediaError.OutputExists, $"{output} is a file; a folder input needs an output folder.");
        if (outRoot == inRoot) throw new MediaException(MediaError.SameAsInput, "The output folder is the input folder: choose another (sources are never overwritten).");
        var files = Anonymizer.MediaFiles(inRoot).Where(f => !Path.GetFullPath(f).StartsWith(outRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
        if (files.Count == 0) throw new MediaException(MediaError.NotMedia, $"{input} holds no video or photo files.");
        var sw = Stopwatch.StartNew();
        var results = new List<object>();
        int failed = 0;
        long frames = 0, masks = 0;
        foreach (var (file, i) in files.Select((f, i) => (f, i)))
        {
            string rel = Path.GetRelativePath(inRoot, file);
            string target = OutputPlan.OutputPathFor(Path.Combine(outRoot, rel)); // a .ts or .mpg comes out as .ts.mp4 / .mpg.mp4
            progress.Log($"[{i + 1}/{files.Count}] {rel}");
            try
            {
                var report = await anonymizer.AnonymizeFileAsync(file, target, overwrite, null, progress, ct);
                progress.Done();
                Console.WriteLine(Summary(rel, target, report, TimeSpan.FromSeconds(report.Timings.Total)));
                frames += report.Counts.Frames; masks += report.Counts.Masks;
                results.Add(new { input = rel, output = target, ok = true, report.Counts });
            }
            catch (Exception e) when (IsExpected(e) && !ct.IsCancellationRequested)
            {
                progress.Done();
                failed++;
                Console.Error.WriteLine($"plateblur: {rel}: {Message(e)}");
                results.Add(new { input = rel, ok = false, error = Message(e) });
            }
        }
        if (reportPath != null)
            await File.WriteAllTextAsync(reportPath, JsonSerializer.Serialize(new { input = inRoot, output = outRoot, files = results }, AnonymizationReport.Json), ct);
        Console.WriteLine($"{files.Count - failed} of {files.Count} files anonymized, {failed} failed: {frames} frames, {masks} masks, {sw.Elapsed.TotalSeconds:0.0} s");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Failures that get one clear line (and, in a folder, do not stop the other files) instead of a stack trace.</summary>
    public static bool IsExpected(Exception e) => e is MediaException or ArgumentException or InvalidDataException or IOException
        or UnauthorizedAccessException or HttpRequestException or InvalidOperationException;

    public static string Message(Exception e) => e switch
    {
        UnauthorizedAccessException => $"permission denied: {e.Message}",
        _ => e.Message,
    };

    public static string Summary(string input, string output, AnonymizationReport r, TimeSpan elapsed) =>
        $"{Path.GetFileName(input)} -> {output}: {r.Counts.Frames} frames, {r.Counts.Masks} masks in {r.Counts.FramesWithMasks} frames, " +
        $"{r.Counts.Tracks} tracks, {elapsed.TotalSeconds:0.0} s, {r.Counts.Frames / Math.Max(elapsed.TotalSeconds, 1e-3):0.0} fps";
}
