using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PlateBlur.Core.Anonymization;
using PlateBlur.Evaluation;
using PlateBlur.Core.Media;
using PlateBlur.Core.Models;
using PlateBlur.Core.Qc;
using PlateBlur.Core.Reports;
using SkiaSharp;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur eval: recall, coverage recall, precision and speed of anonymize on annotated photos, with a threshold curve and a gallery of misses.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var data = new Option<string[]>("--data") { Description = "Folder(s) of annotated photos", AllowMultipleArgumentsPerToken = true };
        var strata = new Option<string?>("--strata") { Description = "Folder of photo strata (tests/strata/*.txt: 'path x y w h' per plate); coverage is printed per stratum" };
        var shared = new Option<string?>("--shared") { Description = "Root the strata paths are relative to (default: PLATEBLUR_SHARED)" };
        var format = new Option<DatasetFormat?>("--format") { Description = "openalpr | yolo | coco (default: detected from the folder)" };
        var outDir = new Option<string>("--out") { Description = "Folder for eval.md, eval.json, threshold.png and missed.png", DefaultValueFactory = _ => "eval-out" };
        var extra = new Option<string?>("--extra-labels") { Description = "Supplementary labels for real plates the dataset leaves unannotated (file x y w h per line)" };
        var pipeline = new PipelineOptions(nameof(Core.PlateBlurOptions.QcThreshold)); // the QC re-detection on the masked photos, as the pipeline
        var cmd = new Command("eval", "Measure detection and masking on annotated photos (the same detection and masking as anonymize)");
        cmd.Options.Add(data); cmd.Options.Add(format); cmd.Options.Add(outDir); cmd.Options.Add(extra); cmd.Options.Add(strata); cmd.Options.Add(shared);
        pipeline.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            try
            {
                var options = pipeline.Bind(r);
                string o = r.GetValue(outDir)!;
                var folders = r.GetValue(data) ?? [];
                if (r.GetValue(strata) is { } strataDir)
                {
                    if (folders.Length > 0) throw new ArgumentException("Give --data or --strata, not both.");
                    return await RunStrataAsync(strataDir, r.GetValue(shared), options, o, ct);
                }
                if (folders.Length == 0) throw new ArgumentException("Give --data FOLDER... (annotated photos) or --strata FOLDER.");
                var images = new List<AnnotatedImage>();
                foreach (var d in folders)
                {
                    if (!Directory.Exists(d)) throw new DirectoryNotFoundException($"{d} is not a folder.");
                    images.AddRange(Datasets.Load(d, r.GetValue(format) ?? Datasets.Detect(d)));
                }
                images = Datasets.AddSupplementary(images, r.GetValue(extra));
                if (images.Count == 0) throw new InvalidDataException("No annotated photos found.");
                using var anonymizer = await Anonymizer.CreateAsync(options, ModelStore.FromEnvironment(), new Progress<string>(Console.Error.WriteLine), ct);
                var progress = new LineProgress("eval", images.Count);
                var results = PhotoEvaluator.Run(images, anonymizer.Scanner, options, progress, QcSampler.Scanner(anonymizer.Scanner, options));
                int qcFailed = results.Count(x => x.QcResidual > 0);
                string qcLine = string.Format(CultureInfo.InvariantCulture,
                    "QC check (re-detection at {0:0.###} on the masked photos, as the pipeline does): {1} of {2} photos ({3:P1}) would go to quarantine.",
                    options.EffectiveQcThreshold, qcFailed, results.Count, (double)qcFailed / results.Count);
                var redaction = options.RedactionOptions();
                var main = PhotoEvaluator.Score(results, options.EffectiveThreshold, redaction);
                float[] sweep = [0.05f, 0.1f, 0.15f, 0.2f, 0.25f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f];
                var curve = sweep.Select(t => PhotoEvaluator.Score(results, t, redaction)).ToList();

                Directory.CreateDirectory(o);
                string table = Table(main, anonymizer.Model.Name, string.Join(", ", r.GetValue(data)!.Select(Path.GetFileName)));
                Console.WriteLine(table);
                Console.WriteLine();
                Console.WriteLine(qcLine);
                await File.WriteAllTextAsync(Path.Combine(o, "eval.md"), table + "\n\n" + qcLine + "\n\n" + CurveTable(curve) + "\n", ct);
                var qc = new { threshold = options.EffectiveQcThreshold, photos = results.Count, quarantined = qcFailed };
                await File.WriteAllTextAsync(Path.Combine(o, "eval.json"), JsonSerializer.Serialize(new { model = anonymizer.Model, options, metrics = main, qc, curve }, AnonymizationReport.Json), ct);
                Charts.LineChart(Path.Combine(o, "threshold.png"), $"{anonymizer.Model.Name} on {images.Count} photos", "score threshold", "share of plates / detections",
                [
                    new Series("coverage recall", Charts.Palette[0], curve.Select(m => ((double)m.Threshold, m.CoverageRecall)).ToList()),
                    new Series("recall (IoU>=0.5)", Charts.Palette[2], curve.Select(m => ((double)m.Threshold, m.Recall)).ToList()),
                    new Series("precision", Charts.Palette[1], curve.Select(m => ((double)m.Threshold, m.Precision)).ToList()),
                ]);
                WriteGallery(Path.Combine(o, "missed.png"), results, options.EffectiveThreshold, redaction);
                Console.Error.WriteLine($"wrote {o}/eval.md, eval.json, threshold.png, missed.png");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or MediaException or InvalidOperationException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>Coverage per photo stratum (close-up, yellow, two-line, night, ...), one row each, with a gallery of misses per stratum.</summary>
    private static async Task<int> RunStrataAsync(string dir, string? root, Core.PlateBlurOptions options, string o, CancellationToken ct)
    {
        root ??= Environment.GetEnvironmentVariable("PLATEBLUR_SHARED") is { Length: > 0 } env ? env
            : throw new ArgumentException("--strata needs the shared data folder: --shared DIR or PLATEBLUR_SHARED.");
        // NAME.txt lists labelled plates of the shared photos; NAME.render describes a rendered stratum (RenderedPlates), made here.
        var lists = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.txt").Concat(Directory.GetFiles(dir, "*.render")).Order(StringComparer.Ordinal).ToList()
            : throw new DirectoryNotFoundException($"{dir} is not a folder.");
        if (lists.Count == 0) throw new InvalidDataException($"{dir} holds no stratum lists (NAME.txt) or rendered strata (NAME.render).");
        using var anonymizer = await Anonymizer.CreateAsync(options, ModelStore.FromEnvironment(), new Progress<string>(Console.Error.WriteLine), ct);
        var redaction = options.RedactionOptions();
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<(string Name, string Half, PhotoMetrics Metrics)>();
        Directory.CreateDirectory(o);
        // The blind hand audit of the labelled boxes (tests/strata/audit.tsv): each stratum is also scored without the boxes that hold
        // no registration, and every audited two-line plate of all strata is scored as one more row.
        var audit = StrataAudit.Load(dir);
        var twoLine = new Dictionary<string, ImageResult>(StringComparer.Ordinal);
        // What the threshold trades on each stratum and half: one low-threshold search serves every threshold (FrameScanner.ScanRaw).
        var sweep = new List<(string Name, string Half, IReadOnlyList<ImageResult> Results)>();
        foreach (var list in lists)
        {
            string name = Path.GetFileNameWithoutExtension(list);
            string listRoot = root;
            List<AnnotatedImage> images;
            var yaws = new List<double>();
            bool rendered = list.EndsWith(".render", StringComparison.Ordinal);
            if (rendered)
            {
                listRoot = Path.Combine(Path.GetFullPath(o), "rendered", name);
                var spec = RenderedStratum.Read(list, root);
                var formats = new List<string>();
                images = RenderedPlates.Build(spec.Sources, listRoot, spec.Seed, progress: new LineProgress($"render {name}", spec.Photos()),
                    paintOutOnly: spec.PaintOutOnly, moved: spec.Moved, formats: formats, oneLine: spec.OneLine, yaw: spec.Yaw, copies: spec.Copies, yaws: yaws);
                // The list in tests/strata's form, each plate followed by its format (a '#' comment, so the file loads as a stratum).
                await File.WriteAllLinesAsync(Path.Combine(o, $"{name}.txt"), new[] { $"# stratum {name}: rendered by {list} into {listRoot}" }
                    .Concat(RenderedPlates.List(images, listRoot).Zip(formats, (l, f) => $"{l} # {f}")
                        .Select((l, k) => yaws.Count > k ? string.Format(inv, "{0} yaw {1:0.0}", l, yaws[k]) : l)), ct);
                WriteRenderedSheet(Path.Combine(o, $"rendered-{name}.png"), images.Take(32).ToList());
            }
            else images = Datasets.LoadStratum(list, root);
            var results = PhotoEvaluator.Run(images, anonymizer.Scanner, options, new LineProgress($"eval {name}", images.Count));
            // Each stratum is scored on its report half (quoted), its tuning half (settings may be chosen on it) and both.
            // A photo's name as the list gives it (relative to the shared folder, or "./photos/…" for those kept with the lists).
            string Listed(ImageResult x) => rendered ? Path.GetRelativePath(listRoot, x.Image).Replace('\\', '/') : Datasets.ListedPath(x.Image, root, dir);
            string HalfOf(ImageResult x) => Datasets.StratumHalf(Listed(x));
            // Rows per half at the threshold in use, and the same halves kept for the threshold sweep.
            void Score(string row, IReadOnlyList<ImageResult> scored)
            {
                foreach (var half in new[] { Datasets.ReportHalf, Datasets.TuningHalf })
                {
                    var part = scored.Where(x => HalfOf(x) == half).ToList();
                    rows.Add((row, half, PhotoEvaluator.Score(part, options.EffectiveThreshold, redaction)));
                    sweep.Add((row, half, part));
                }
                rows.Add((row, "both", PhotoEvaluator.Score(scored, options.EffectiveThreshold, redaction)));
            }
            Score(name, results);
            if (audit != null && !rendered)
            {
                ImageResult Keep(ImageResult r, Func<string?, bool> keep) =>
                    r with { Truth = r.Truth.Where(t => keep(audit.Verdict(Listed(r), t))).ToList() };
                Score($"{name}, audited", results.Select(r => Keep(r, StrataAudit.Protects)).ToList());
                foreach (var r in results.Select(r => Keep(r, v => v == "two-line")).Where(r => r.Truth.Count > 0))
                    twoLine.TryAdd(r.Image, r);
                int unlisted = results.Sum(r => r.Truth.Count(t => audit.Verdict(Listed(r), t) == null));
                if (unlisted > 0) Console.Error.WriteLine($"eval {name}: {unlisted} labelled boxes are not in {dir}/audit.tsv (counted as plates)");
            }
            WriteGallery(Path.Combine(o, $"missed-{name}.png"), results, options.EffectiveThreshold, redaction);
            if (yaws.Count > 0) await WriteYawCurveAsync(o, name, results, yaws, HalfOf, options.EffectiveThreshold, redaction, ct);
            // The same misses as text, with their half, so a change can be judged on the tuning half's misses alone; and every plate
            // with the merged detection that overlaps it most, to study the labels themselves (offsets, boxes on no plate).
            string Plate(ImageResult r, Core.Detection.BoxF t, double coverage) => string.Format(inv, "{0}\t{1}\t{2:0}\t{3:0}\t{4:0}\t{5:0}\t{6:0.000}",
                HalfOf(r), Listed(r), t.X, t.Y, t.W, t.H, coverage);
            await File.WriteAllLinesAsync(Path.Combine(o, $"missed-{name}.tsv"),
                new[] { "half\tphoto\tx\ty\tw\th\tcoverage\tnearest score" }.Concat(PhotoEvaluator.Missed(results, options.EffectiveThreshold, redaction)
                    .Select(m => Plate(m.Image, m.Truth, m.Coverage) + "\t" + (m.Nearest is { } n ? n.Score.ToString("0.000", inv) : "none"))), ct);
            await File.WriteAllLinesAsync(Path.Combine(o, $"plates-{name}.tsv"),
                new[] { "half\tphoto\tx\ty\tw\th\tcoverage\tdet x\tdet y\tdet w\tdet h\tdet score\tiou" }.Concat(PhotoEvaluator.Plates(results, options.EffectiveThreshold, redaction)
                    .Select(p => Plate(p.Image, p.Truth, p.Coverage) + "\t" + (p.Best is { } b
                        ? string.Format(inv, "{0:0}\t{1:0}\t{2:0}\t{3:0}\t{4:0.000}\t{5:0.000}", b.Box.X, b.Box.Y, b.Box.W, b.Box.H, b.Score, b.Box.Iou(p.Truth))
                        : "\t\t\t\t\t0"))), ct);
        }
        if (twoLine.Count > 0)
        {
            var all = twoLine.Values.OrderBy(r => r.Image, StringComparer.Ordinal).ToList();
            string HalfOfShared(ImageResult x) => Datasets.StratumHalf(Datasets.ListedPath(x.Image, root, dir));
            foreach (var half in new[] { Datasets.ReportHalf, Datasets.TuningHalf, "both" })
                rows.Add(("two-line plates of all strata, audited", half, PhotoEvaluator.Score(all.Where(x => half == "both" || HalfOfShared(x) == half).ToList(), options.EffectiveThreshold, redaction)));
        }
        string table = string.Join("\n", new[]
        {
            $"| stratum | half | model | threshold | photos | plates | coverage recall | recall (IoU>=0.5) | FP per image | ms/image detect |",
            "|---|---|---|---|---|---|---|---|---|---|",
        }.Concat(rows.Select(x => string.Format(inv, "| {0} | {1} | {2} | {3:0.##} | {4} | {5} | {6:P2} ({7}) | {8:P2} | {9:0.00} | {10:0.0} |",
            x.Name, x.Half, anonymizer.Model.Name, x.Metrics.Threshold, x.Metrics.Images, x.Metrics.Plates, x.Metrics.CoverageRecall, x.Metrics.Covered,
            x.Metrics.Recall, x.Metrics.FalsePositivesPerImage, x.Metrics.DetectMsPerImage))));
        Console.WriteLine(table);
        await File.WriteAllTextAsync(Path.Combine(o, "strata.md"), table + "\n", ct);
        float[] thresholds = new[] { options.EffectiveThreshold, 0.25f, 0.2f, 0.15f, 0.1f }.Where(t => t >= PhotoEvaluator.SweepMinimum).Distinct().OrderDescending().ToArray();
        string sweepTable = string.Join("\n", new[]
        {
            "| stratum | half | plates | " + string.Join(" | ", thresholds.Select(t => string.Format(inv, "covered at {0:0.##} (FP per image)", t))) + " |",
            "|---|---|---|" + string.Concat(thresholds.Select(_ => "---|")),
        }.Concat(sweep.Select(x => $"| {x.Name} | {x.Half} | {x.Results.Sum(r => r.Truth.Count)} | " + string.Join(" | ", thresholds.Select(t =>
        {
            var m = PhotoEvaluator.Score(x.Results, t, redaction);
            return string.Format(inv, "{0:P2} ({1}) ({2:0.00})", m.CoverageRecall, m.Covered, m.FalsePositivesPerImage);
        })) + " |")));
        await File.WriteAllTextAsync(Path.Combine(o, "strata-thresholds.md"), sweepTable + "\n", ct);
        await File.WriteAllTextAsync(Path.Combine(o, "strata.json"), JsonSerializer.Serialize(new
        {
            model = anonymizer.Model, options, strata = rows.Select(x => new { name = x.Name, half = x.Half, metrics = x.Metrics }),
        }, AnonymizationReport.Json), ct);
        Console.Error.WriteLine($"wrote {o}/strata.md, strata-thresholds.md, strata.json, missed-*.png, missed-*.tsv, plates-*.tsv");
        return 0;
    }

    public static string Table(PhotoMetrics m, string model, string data)
    {
        var inv = CultureInfo.InvariantCulture;
        return string.Join("\n",
            $"| data | model | threshold | images | plates | recall (IoU>=0.5) | coverage recall | precision | false-negative rate | mean IoU | FP per image | ms/image detect | ms/image end to end |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            string.Format(inv, "| {0} | {1} | {2:0.##} | {3} | {4} | {5:P2} ({6}) | {7:P2} ({8}) | {9:P2} | {10:P2} | {11:0.000} | {12:0.00} | {13:0.0} | {14:0.0} |",
                data, model, m.Threshold, m.Images, m.Plates, m.Recall, m.Matched, m.CoverageRecall, m.Covered, m.Precision, m.FalseNegativeRate, m.MeanIou,
                m.FalsePositivesPerImage, m.DetectMsPerImage, m.EndToEndMsPerImage));
    }

    private static string CurveTable(IEnumerable<PhotoMetrics> curve) => string.Join("\n",
        new[] { "| threshold | recall (IoU>=0.5) | coverage recall | precision | FP per image |", "|---|---|---|---|---|" }
        .Concat(curve.Select(m => string.Format(CultureInfo.InvariantCulture, "| {0:0.00} | {1:P2} | {2:P2} | {3:P2} | {4:0.00} |", m.Threshold, m.Recall, m.CoverageRecall, m.Precision, m.FalsePositivesPerImage))));

    /// <summary>Coverage by how far the plates are turned (10° bins), per half: yaw-NAME.md and yaw-NAME.png. The plates come in the
    /// order they were rendered, which is the order of the results and their labels.</summary>
    private static async Task WriteYawCurveAsync(string o, string name, IReadOnlyList<ImageResult> results, IReadOnlyList<double> yaws,
        Func<ImageResult, string> halfOf, float threshold, Core.Redaction.RedactionOptions redaction, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var plates = PhotoEvaluator.Plates(results, threshold, redaction).Select((p, k) => (Half: halfOf(p.Image), Bin: (int)(yaws[k] / 10),
            Covered: p.Coverage >= Matcher.CoveredShare)).ToList();
        if (plates.Count != yaws.Count) throw new InvalidOperationException($"{name}: {plates.Count} plates scored, {yaws.Count} rendered.");
        var bins = plates.Select(p => p.Bin).Distinct().Order().ToList();
        string[] halves = [Datasets.ReportHalf, Datasets.TuningHalf, "both"];
        (int Covered, int All) Cell(string half, int bin)
        {
            var these = plates.Where(p => p.Bin == bin && (half == "both" || p.Half == half)).ToList();
            return (these.Count(p => p.Covered), these.Count);
        }
        var lines = new List<string> { "| yaw | " + string.Join(" | ", halves) + " |", "|---|" + string.Concat(halves.Select(_ => "---|")) };
        lines.AddRange(bins.Select(b => $"| {b * 10}–{b * 10 + 10}° | " + string.Join(" | ", halves.Select(h =>
        {
            var (c, a) = Cell(h, b);
            return a == 0 ? "" : string.Format(inv, "{0:P1} ({1} of {2})", (double)c / a, c, a);
        })) + " |"));
        await File.WriteAllLinesAsync(Path.Combine(o, $"yaw-{name}.md"), lines, ct);
        Console.WriteLine(string.Join("\n", lines));
        Charts.LineChart(Path.Combine(o, $"yaw-{name}.png"), $"{name}: plates covered by how far they are turned (threshold {threshold:0.##})",
            "yaw, degrees (bin centre)", "covered", halves.Select((h, i) => new Series(h, Charts.Palette[i],
                bins.Select(b => (b * 10 + 5.0, Cell(h, b))).Where(x => x.Item2.All > 0).Select(x => (x.Item1, (double)x.Item2.Covered / x.Item2.All)).ToList())).ToList());
    }

    /// <summary>What a rendered stratum looks like: each plate with its surroundings and its box (green).</summary>
    private static void WriteRenderedSheet(string path, IReadOnlyList<AnnotatedImage> images)
    {
        var cells = new List<(SKBitmap, string)>();
        try
        {
            foreach (var image in images)
            {
                var photo = Photo.Load(image.Image);
                foreach (var plate in image.Plates)
                    cells.Add((Sheets.Crop(photo.Rgba, photo.Width, photo.Height, plate.Pad(1.0f, 40), [(plate, SKColors.LimeGreen)]),
                        $"{Path.GetFileName(image.Image)} {plate.W:0}x{plate.H:0}"));
            }
            Sheets.Sheet(path, $"rendered plates, first {cells.Count} (green: the box they are scored on)", cells, 4, 300);
        }
        finally
        {
            foreach (var (b, _) in cells) b.Dispose();
        }
    }

    /// <summary>Every plate not covered: a crop around it with the truth (green) and the nearest detection at any score (red, with its score).</summary>
    private static void WriteGallery(string path, IReadOnlyList<ImageResult> results, float threshold, Core.Redaction.RedactionOptions redaction)
    {
        var cells = new List<(SKBitmap, string)>();
        try
        {
            foreach (var (image, truth, nearest, coverage) in PhotoEvaluator.Missed(results, threshold, redaction))
            {
                var photo = Photo.Load(image.Image);
                var region = truth.Pad(1.0f, 40);
                var boxes = new List<(Core.Detection.BoxF, SKColor)> { (truth, SKColors.LimeGreen) };
                if (nearest != null) boxes.Add((nearest.Box, SKColors.Red));
                cells.Add((Sheets.Crop(photo.Rgba, photo.Width, photo.Height, region, boxes),
                    $"{Path.GetFileName(image.Image)} cov {coverage:P0}" + (nearest != null ? $" near {nearest.Score:0.00}" : " no det")));
            }
            Sheets.Sheet(path, $"{cells.Count} plates not covered at threshold {threshold:0.##} (green: truth, red: nearest detection at any score >= {PhotoEvaluator.SweepMinimum})", cells, 4, 300);
        }
        finally
        {
            foreach (var (b, _) in cells) b.Dispose();
        }
    }
}

/// <summary>Plain progress lines every few seconds for batch commands.</summary>
public sealed class LineProgress(string what, int total) : IProgress<int>
{
    private readonly System.Diagnostics.Stopwatch _sw = System.Diagnostics.Stopwatch.StartNew();
    private double _last;

    public void Report(int done)
    {
        double t = _sw.Elapsed.TotalSeconds;
        if (t - _last < 5 && done < total) return;
        _last = t;
        double rate = done / Math.Max(t, 1e-3);
        Console.Error.WriteLine($"{what}: {done}/{total} ({(double)done / total:P0}), {rate:0.0}/s, ETA {ConsoleProgress.Format((total - done) / Math.Max(rate, 1e-9))}");
    }
}
