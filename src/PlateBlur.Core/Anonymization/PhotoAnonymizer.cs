using System.Diagnostics;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Core.Reports;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Anonymization;

/// <summary>Anonymizes one photo: upright pixels, whole-image and tile search, masks, same format out, no location metadata.</summary>
public static class PhotoAnonymizer
{
    /// <summary>The detection and masking that anonymize applies to a photo (eval measures exactly this); pixels are masked in place.</summary>
    public static (List<Detection.Detection> Found, List<MaskBox> Masks, double DetectSeconds, double RedactSeconds) DetectAndMask(
        Photo photo, FrameScanner scanner, PlateBlurOptions options, ResolvedEdits? edits = null, Dictionary<int, long>? dropped = null, List<MaskBox>? removed = null)
    {
        var clock = Stopwatch.StartNew();
        var found = scanner.ScanPhoto(new RgbaImageSource(photo.Rgba, photo.Width, photo.Height));
        double detect = clock.Elapsed.TotalSeconds;
        clock.Restart();
        // A photo's track ids are its detections' places in the scanner's (deterministic) order, from 1.
        var masks = found.Select((d, i) => new MaskBox(d.Box, i + 1, MaskKind.Detected, d.Corners, d.Score)).ToList();
        edits?.Apply(0, masks, dropped ?? [], removed ?? []);
        Redactor.Apply(photo.Rgba, photo.Width, photo.Height, masks, options.RedactionOptions());
        return (found, masks, detect, clock.Elapsed.TotalSeconds);
    }

    public static async Task<AnonymizationReport> RunAsync(
        MediaInfo source, string outputPath, FrameScanner scanner, ModelFacts model, PlateBlurOptions options, bool overwrite, CancellationToken ct = default,
        Action? beforeCommit = null, EditsSource? edits = null, ResolvedEdits? resolvedEdits = null)
    {
        var total = Stopwatch.StartNew();
        var format = Photo.FormatFor(outputPath);
        var clock = Stopwatch.StartNew();
        var photo = await Task.Run(() => Photo.Load(source.Path), ct);
        double decode = clock.Elapsed.TotalSeconds;
        var resolved = resolvedEdits ?? edits?.ResolvePhoto(photo.Width, photo.Height);
        var dropped = new Dictionary<int, long>();
        var removed = new List<MaskBox>();
        long inferencesBefore = scanner.Plates.Inferences;
        var (found, masks, detect, redact) = DetectAndMask(photo, scanner, options, resolved, dropped, removed);
        long inferences = scanner.Plates.Inferences - inferencesBefore;
        clock.Restart();
        using var partial = new PartialFile(outputPath);
        await Task.Run(() => photo.Save(partial.TempPath, format), ct);
        double encode = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var check = Photo.Load(partial.TempPath);
        if (check.Width != photo.Width || check.Height != photo.Height)
            throw new MediaException(MediaError.VerifyFailed, $"Output check failed: {check.Width}x{check.Height}, expected {photo.Width}x{photo.Height}.");
        double verify = clock.Elapsed.TotalSeconds;
        beforeCommit?.Invoke();
        partial.Commit(overwrite);

        var redaction = options.RedactionOptions();
        MaskRecord Record(MaskBox m) => ReportBuilder.Record(m, redaction, photo.Width, photo.Height, resolved);
        var records = masks.Select(Record).ToList();
        List<FrameMasks> frames = records.Count > 0 ? [new FrameMasks(0, 0, records)] : [];
        var editsReport = resolved?.Report(dropped, removed.Count > 0 ? [new FrameMasks(0, 0, removed.Select(Record).ToList())] : [], frames);
        var outInfo = await MediaProbe.ProbeAsync(partial.FinalPath, ct, workFile: true);
        return ReportBuilder.Photo(source, photo.Width, photo.Height, photo.SourceOrientation, outInfo, model, options, records, found.Count, inferences,
            new StageTimings(decode, detect, 0, redact, encode, 0, verify, total.Elapsed.TotalSeconds), editsReport);
    }
}
