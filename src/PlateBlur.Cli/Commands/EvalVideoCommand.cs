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

/// <summary>plateblur eval-video: plate-frames leaked by the full anonymize path, on annotated videos or on synthetic clips made from annotated photos.</summary>
public static class EvalVideoCommand
{
    public sealed record Output(string Mode, object Options, string Model, IReadOnlyList<ClipScore> Clips, Totals Totals, IReadOnlyList<ClipRecipe>? Recipes,
        IReadOnlyDictionary<string, Totals>? VariantTotals = null, IReadOnlyDictionary<string, Totals>? HalfTotals = null, IReadOnlyList<QcSweep>? QcSweep = null);

    /// <summary>The file beside the boxes files that says which clips constants may be tuned on.</summary>
    public const string HalvesFile = "halves.txt";

    /// <summary>Reads <see cref="HalvesFile"/>: one "CLIP tuning|report" line per clip (CLIP without extension, '#' comments). A clip it
    /// does not list is in the report half: a clip added later is never tuned on by accident.</summary>
    public static Dictionary<string, string> ReadHalves(string path)
    {
        var halves = new Dictionary<string, string>(StringComparer.Ordinal);
        int n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 2 || f[1] is not ("tuning" or "report"))
                throw new InvalidDataException($"{path} line {n}: expected 'CLIP tuning' or 'CLIP report', got '{raw.Trim()}'");
            if (!halves.TryAdd(f[0], f[1])) throw new InvalidDataException($"{path} line {n}: {f[0]} is listed twice");
        }
        return halves;
    }

    /// <summary>The half a scored row belongs to ("clip.mp4" or "clip.mp4 @10fps (every 2)"): report unless the halves say tuning.</summary>
    public static string HalfOf(ClipScore c, IReadOnlyDictionary<string, string> halves)
    {
        string clip = c.Clip.Split(" @")[0];
        return halves.GetValueOrDefault(Path.GetFileNameWithoutExtension(clip)) ?? halves.GetValueOrDefault(clip) ?? "report";
    }

    /// <summary>Totals per half and rate variant, report half first: "report half, native", "tuning half, 10fps", ….</summary>
    public static Dictionary<string, Totals> HalfTotalsOf(IReadOnlyList<ClipScore> scores, IReadOnlyDictionary<string, string> halves)
    {
        var variants = scores.Select(c => c.Variant).Distinct().ToList();
        return scores.GroupBy(c => (Half: HalfOf(c, halves), c.Variant)).OrderBy(g => g.Key.Half == "report" ? 0 : 1).ThenBy(g => variants.IndexOf(g.Key.Variant))
            .ToDictionary(g => $"{g.Key.Half} half, {g.Key.Variant}", g => Total(g.ToList()));
    }

    public sealed record Totals(int Clips, int PlateFrames, int Leaked, double LeakedShare, int LongestRun, double MasksPerFrame, double Fps, double MaskedAreaShare,
        int LongestRunTall = 0, int TallPlateFrames = 0, int LeakedTall = 0);

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Videos with NAME.boxes.txt annotations, or annotated photos to make synthetic clips from", Required = true };
        var annotations = new Option<string?>("--annotations") { Description = "Folder of NAME.boxes.txt files when they are not beside the videos" };
        var clips = new Option<int>("--clips") { Description = "Synthetic mode: number of clips", DefaultValueFactory = _ => 12 };
        var seed = new Option<int>("--seed") { Description = "Synthetic mode: generator seed", DefaultValueFactory = _ => 20261127 };
        var size = new Option<string>("--size") { Description = "Synthetic mode: frame size", DefaultValueFactory = _ => "1280x720" };
        var frames = new Option<int>("--frames") { Description = "Synthetic mode: frames per clip (30 fps)", DefaultValueFactory = _ => 60 };
        var roll = new Option<double>("--roll")
        {
            Description = "Synthetic mode: turn each clip's picture about the plate by this many degrees, clockwise and anticlockwise in turn " +
                          "(plates near the edges of a wide-angle or fisheye frame; 0 = upright, the clips are otherwise the same)",
            DefaultValueFactory = _ => 0,
        };
        roll.Validators.Add(v => { if (v.GetValueOrDefault<double>() is < 0 or > 90) v.AddError("--roll must be between 0 and 90 degrees."); });
        var outDir = new Option<string>("--out") { Description = "Folder for eval-video.md/.json, leaks.png and (synthetic) the clips' recipes and boxes", DefaultValueFactory = _ => "eval-video-out" };
        var baseline = new Option<string?>("--baseline") { Description = "An earlier eval-video --out folder: its leaks are drawn above this run's in leaks.png" };
        var keep = new Option<bool>("--keep-clips") { Description = "Keep the generated and anonymized clips in --out" };
        var qcSweep = new Option<bool>("--qc-sweep")
        {
            Description = "Also measure QC's threshold on every clip: QC's re-detection on every frame of the output (false residuals) and of the " +
                "source with nothing masked (plate-frames QC would see), at 0.3-0.7; writes qc-sweep.md (slow: two all-tile scans per clip)",
        };
        var rates = new Option<string>("--rates")
        {
            Description = "Frame-rate variants to score, comma-separated: 'native', a rate such as '10' (keep every k-th frame, k chosen per clip " +
                "from its real average rate so the result is about that rate), or 'everyN'. Each variant is its own rows and total",
            DefaultValueFactory = _ => "native",
        };
        var pipeline = new PipelineOptions();
        var cmd = new Command("eval-video", "Measure plate-frames leaked by the full anonymize path on annotated or synthetic videos");
        foreach (var o in new Option[] { data, annotations, clips, seed, size, frames, roll, outDir, baseline, keep, rates, qcSweep }) cmd.Options.Add(o);
        pipeline.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            try
            {
                var options = pipeline.Bind(r);
                var variants = RateVariant.ParseList(r.GetValue(rates)!);
                string dataDir = r.GetValue(data)!, o = Path.GetFullPath(r.GetValue(outDir)!);
                if (!Directory.Exists(dataDir)) throw new DirectoryNotFoundException($"{dataDir} is not a folder.");
                Directory.CreateDirectory(o);
                string work = r.GetValue(keep) ? Directory.CreateDirectory(Path.Combine(o, "clips")).FullName : Directory.CreateTempSubdirectory("plateblur-evalvideo-").FullName;
                using var anonymizer = await Anonymizer.CreateAsync(options, ModelStore.FromEnvironment(), new Progress<string>(Console.Error.WriteLine), ct);
                var jobs = new List<(string Name, string Video, List<TruthBox> Truth)>();
                var ambiguousFiles = new Dictionary<string, string>();
                List<ClipRecipe>? recipes = null;
                string annotationDir = r.GetValue(annotations) ?? dataDir;
                var annotated = Directory.EnumerateFiles(dataDir).Where(f => OutputPlan.IsVideoExtension(Path.GetExtension(f)))
                    .Select(v => (v, box: Path.Combine(annotationDir, Path.GetFileNameWithoutExtension(v) + ".boxes.txt"))).Where(x => File.Exists(x.box)).OrderBy(x => x.v, StringComparer.Ordinal).ToList();
                string mode;
                if (annotated.Count > 0)
                {
                    mode = "annotated videos";
                    jobs.AddRange(annotated.Select(a => (Path.GetFileName(a.v), a.v, VideoEvaluator.ReadBoxes(a.box))));
                    ambiguousFiles = annotated.ToDictionary(a => Path.GetFileName(a.v), a => Path.ChangeExtension(Path.ChangeExtension(a.box, null), ".ambiguous.txt"));
                }
                else
                {
                    mode = "synthetic clips";
                    var wh = r.GetValue(size)!.Split('x').Select(int.Parse).ToArray();
                    var photos = Datasets.Load(dataDir, Datasets.Detect(dataDir));
                    recipes = SyntheticClips.Plan(photos, r.GetValue(clips), r.GetValue(seed), wh[0], wh[1], r.GetValue(frames), roll: r.GetValue(roll));
                    await File.WriteAllTextAsync(Path.Combine(o, "recipes.json"), JsonSerializer.Serialize(new { seed = r.GetValue(seed), data = Path.GetFullPath(dataDir), recipes }, AnonymizationReport.Json), ct);
                    Directory.CreateDirectory(Path.Combine(o, "boxes"));
                    foreach (var recipe in recipes)
                    {
                        Console.Error.WriteLine($"rendering {recipe.Name} from {recipe.Source}");
                        string video = Path.Combine(work, recipe.Name + ".mp4");
                        var truth = await SyntheticClips.RenderAsync(recipe, photos.First(p => Path.GetFileName(p.Image) == recipe.Source), video, ct);
                        VideoEvaluator.WriteBoxes(Path.Combine(o, "boxes", recipe.Name + ".boxes.txt"), truth, $"{recipe.Name}: synthetic, {recipe.Frames} frames {recipe.Width}x{recipe.Height}");
                        jobs.Add((recipe.Name, video, truth));
                    }
                }
                if (jobs.Count == 0) throw new InvalidDataException($"{dataDir} has neither annotated videos nor annotated photos.");

                var scores = new List<ClipScore>();
                var sweeps = new List<QcSweep>();
                var sweepScanner = r.GetValue(qcSweep) ? QcSampler.Scanner(anonymizer.Scanner, options, QcSweep.Thresholds.Min()) : null;
                var leakCells = new List<(SKBitmap, string)>();
                var progress = new ConsoleProgress(quiet: false);
                try
                {
                    foreach (var variant in variants)
                    foreach (var (name, source, sourceTruth) in jobs)
                    {
                        string video = source, label = name;
                        var truth = sourceTruth;
                        int step = 1;
                        if (!variant.IsNative)
                        {
                            var probe = await MediaProbe.ProbeAsync(source, ct);
                            var timeline = await FrameTimeline.ScanAsync(source, probe.RequireVideo(), ct);
                            step = variant.Step(FrameRateResampler.AverageFps(timeline.PtsNs));
                            if (step == 1 && variant.FixedStep == null && variants.Any(v => v.IsNative))
                            {
                                // Already at about that rate (car-detection: 12.5 fps): the native row is that variant; scoring it twice would count its plate-frames twice.
                                Console.Error.WriteLine($"{name} already runs at about {variant.Spec}: its native row stands for the {variant.Spec} variant");
                                continue;
                            }
                            label = $"{name} @{variant.Spec} (every {step})";
                            string stem = $"{Path.GetFileNameWithoutExtension(source)}.every{step}";
                            video = Path.Combine(work, stem + ".mp4");
                            Console.Error.WriteLine($"keeping every {FrameRateResampler.Ordinal(step)} frame of {name} ({variant.Spec})");
                            await FrameRateResampler.WriteAsync(source, video, step, ct);
                            truth = FrameRateResampler.Resample(sourceTruth, step);
                            string boxDir = Directory.CreateDirectory(Path.Combine(o, "boxes")).FullName;
                            VideoEvaluator.WriteBoxes(Path.Combine(boxDir, stem + ".boxes.txt"), truth, $"{name} every {FrameRateResampler.Ordinal(step)} frame (frame = index among the kept frames)");
                            if (ambiguousFiles.TryGetValue(name, out var amb) && File.Exists(amb))
                                VideoEvaluator.WriteBoxes(Path.Combine(boxDir, stem + ".ambiguous.txt"), FrameRateResampler.Resample(VideoEvaluator.ReadBoxes(amb), step),
                                    $"{name} every {FrameRateResampler.Ordinal(step)} frame: ambiguous regions (not counted)");
                        }
                        string output = Path.Combine(work, "anonymized-" + Path.GetFileNameWithoutExtension(video) + Path.GetExtension(video));
                        var report = await anonymizer.AnonymizeFileAsync(video, output, overwrite: true, null, progress, ct);
                        progress.Done();
                        var score = VideoEvaluator.Score(label, truth, report) with { Variant = variant.Spec, Step = step };
                        scores.Add(score);
                        leakCells.AddRange(await LeakCrops(video, truth, report, score, 8, ct));
                        if (sweepScanner != null)
                        {
                            Console.Error.WriteLine($"{label}: QC sweep (every frame of the output, then of the source)");
                            var onOutput = await QcSampler.ResidualsEveryFrameAsync(output, report, sweepScanner, ct);
                            var onSource = await QcSampler.ResidualsEveryFrameAsync(video, null, sweepScanner, ct);
                            sweeps.Add(QcSweep.Of(label, score.Frames, truth, onOutput, onSource, options.QcSamples));
                        }
                    }
                    Sheets.Sheet(Path.Combine(o, "leaked.png"), $"Leaked plate-frames, up to 8 per clip (green: plate, blue: masks)", leakCells, 4, 300);
                }
                finally
                {
                    foreach (var (bitmap, _) in leakCells) bitmap.Dispose();
                }
                var totals = Total(scores);
                var variantTotals = scores.GroupBy(c => c.Variant).ToDictionary(g => g.Key, g => Total(g.ToList()));
                // Annotated clips: the tuning and report halves (halves.txt beside the boxes files) are summed apart; the report half is the headline.
                string halvesPath = Path.Combine(annotationDir, HalvesFile);
                var halfTotals = mode == "annotated videos" && File.Exists(halvesPath) ? HalfTotalsOf(scores, ReadHalves(halvesPath)) : null;
                string table = Table(scores, totals, halfTotals);
                Console.WriteLine(table);
                var result = new Output(mode, options, anonymizer.Model.Name, scores, totals, recipes, variantTotals, halfTotals, sweepScanner != null ? sweeps : null);
                if (sweepScanner != null)
                {
                    string sweepTable = QcSweep.Table(sweeps);
                    Console.WriteLine(sweepTable);
                    await File.WriteAllTextAsync(Path.Combine(o, "qc-sweep.md"), $"QC threshold sweep; model {anonymizer.Model.Name}; the pipeline's QC threshold is " +
                        $"{options.EffectiveQcThreshold:0.###} with {options.QcSamples} sampled frames per file\n\n{sweepTable}\n", ct);
                }
                await File.WriteAllTextAsync(Path.Combine(o, "eval-video.md"), $"Mode: {mode}; model {anonymizer.Model.Name}\n\n{table}\n", ct);
                await File.WriteAllTextAsync(Path.Combine(o, "eval-video.json"), JsonSerializer.Serialize(result, AnonymizationReport.Json), ct);
                var baselineScores = r.GetValue(baseline) is { } b ? ReadScores(Path.Combine(b, "eval-video.json")) : null;
                LeakChart(Path.Combine(o, "leaks.png"), scores, baselineScores);
                if (!r.GetValue(keep)) Directory.Delete(work, true);
                Console.Error.WriteLine($"wrote {o}/eval-video.md, eval-video.json, leaks.png, leaked.png");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or MediaException or InvalidOperationException or FormatException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>Crops of up to <paramref name="max"/> leaked plate-frames spread over the clip, from the source frames, with the truth and the masks drawn.</summary>
    private static async Task<List<(SKBitmap, string)>> LeakCrops(string video, IReadOnlyList<TruthBox> truth, AnonymizationReport report, ClipScore score, int max, CancellationToken ct)
    {
        var cells = new List<(SKBitmap, string)>();
        if (score.LeakedFrames.Count == 0) return cells;
        var picks = Enumerable.Range(0, Math.Min(max, score.LeakedFrames.Count)).Select(i => score.LeakedFrames[i * score.LeakedFrames.Count / Math.Min(max, score.LeakedFrames.Count)]).Distinct().ToList();
        var info = await MediaProbe.ProbeAsync(video, ct);
        var v = info.RequireVideo();
        var timeline = await FrameTimeline.ScanAsync(video, v, ct);
        var masks = report.Frames.ToDictionary(f => f.Index, f => f.Boxes.Select(b => new Core.Detection.BoxF(b.X, b.Y, b.W, b.H)).ToList());
        foreach (int f in picks)
        {
            await foreach (var frame in FrameReader.ReadAsync(video, v, timeline, f, f + 1, ct))
            {
                using (frame)
                {
                    var rgba = new byte[frame.Width * frame.Height * 4];
                    var rgb = new byte[frame.Width * frame.Height * 3];
                    new Core.Detection.YuvImageSource(frame).ResizeToRgb(new Core.Detection.BoxF(0, 0, frame.Width, frame.Height), frame.Width, frame.Height, rgb);
                    for (int i = 0; i < frame.Width * frame.Height; i++) { rgba[i * 4] = rgb[i * 3]; rgba[i * 4 + 1] = rgb[i * 3 + 1]; rgba[i * 4 + 2] = rgb[i * 3 + 2]; rgba[i * 4 + 3] = 255; }
                    foreach (var t in truth.Where(t => t.Frame == f))
                    {
                        var frameMasks = masks.GetValueOrDefault(f) ?? [];
                        if (Matcher.Coverage(t.Box, frameMasks) >= Matcher.CoveredShare) continue;
                        var boxes = new List<(Core.Detection.BoxF, SKColor)> { (t.Box, SKColors.LimeGreen) };
                        boxes.AddRange(frameMasks.Select(m => (m, new SKColor(0x21, 0x96, 0xf3))));
                        float side = Math.Max(90, 4 * Math.Max(t.Box.W, t.Box.H));
                        cells.Add((Sheets.Crop(rgba, frame.Width, frame.Height, Core.Detection.BoxF.FromCenter(t.Box.CenterX, t.Box.CenterY, side, side), boxes), $"{score.Clip} frame {f} plate {t.PlateId} ({t.Box.W:0}x{t.Box.H:0})"));
                    }
                }
            }
        }
        return cells;
    }

    public static Totals Total(IReadOnlyList<ClipScore> s)
    {
        int pf = s.Sum(c => c.PlateFrames), leaked = s.Sum(c => c.Leaked);
        return new Totals(s.Count, pf, leaked, pf == 0 ? 0 : (double)leaked / pf, s.Select(c => c.LongestRun).DefaultIfEmpty(0).Max(),
            s.Sum(c => c.MasksPerFrame * c.Frames) / Math.Max(1, s.Sum(c => c.Frames)), s.Sum(c => c.Frames) / Math.Max(1e-9, s.Sum(c => c.Frames / Math.Max(c.Fps, 1e-9))),
            s.Sum(c => c.MaskedAreaShare * c.Frames) / Math.Max(1, s.Sum(c => c.Frames)), s.Select(c => c.LongestRunTall).DefaultIfEmpty(0).Max(),
            s.Sum(c => c.TallPlateFrames), s.Sum(c => c.LeakedTall));
    }

    public static string Table(IReadOnlyList<ClipScore> scores, Totals t, IReadOnlyDictionary<string, Totals>? halves = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            "| clip | frames | plates | plate-frames | leaked | leaked % | longest leaked run | longest run, plates ≥ 10 px tall | plates ≥ 10 px tall: leaked of plate-frames | masks per frame | frame area masked | fps |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        };
        var groups = scores.GroupBy(c => c.Variant).ToList();
        foreach (var g in groups)
        {
            lines.AddRange(g.Select(c => string.Format(inv, "| {0} | {1} | {2} | {3} | {4} | {5:0.00} % | {6} | {10} | {11} of {12} | {7:0.00} | {8:0.00} % | {9:0.0} |",
                c.Clip, c.Frames, c.Plates, c.PlateFrames, c.Leaked, 100 * c.LeakedShare, c.LongestRun, c.MasksPerFrame, 100 * c.MaskedAreaShare, c.Fps, c.LongestRunTall,
                c.LeakedTall, c.TallPlateFrames)));
            if (groups.Count > 1)
            {
                var v = Total(g.ToList());
                lines.Add(TotalsRow($"{g.Key}: {v.Clips} clips", v, "*"));
            }
        }
        foreach (var (key, v) in halves ?? new Dictionary<string, Totals>())
            lines.Add(TotalsRow($"{key}: {v.Clips} clips", v, "**"));
        lines.Add(TotalsRow($"all {t.Clips} clips", t, "**"));
        return string.Join("\n", lines);

        // A totals row: its label and leaked share set in italics (*) or bold (**).
        string TotalsRow(string label, Totals v, string em) => string.Format(inv, "| {0}{1}{0} | | | {2} | {3} | {0}{4:0.00} %{0} | {5} | {6} | {10} of {11} | {7:0.00} | {8:0.00} % | {9:0.0} |",
            em, label, v.PlateFrames, v.Leaked, 100 * v.LeakedShare, v.LongestRun, v.LongestRunTall, v.MasksPerFrame, 100 * v.MaskedAreaShare, v.Fps,
            v.LeakedTall, v.TallPlateFrames);
    }

    private static List<ClipScore>? ReadScores(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(path), AnonymizationReport.Json).GetProperty("clips").Deserialize<List<ClipScore>>(AnonymizationReport.Json) : null;

    /// <summary>One row per clip (and per baseline clip above it): green = plate covered, red = plate leaked, grey = no plate.</summary>
    public static void LeakChart(string path, IReadOnlyList<ClipScore> scores, IReadOnlyList<ClipScore>? baseline)
    {
        var green = new SKColor(0x4c, 0xaf, 0x50); var red = new SKColor(0xe5, 0x39, 0x35); var grey = new SKColor(0xe6, 0xe6, 0xe6);
        IReadOnlyList<SKColor> Cells(ClipScore c)
        {
            var leaked = c.LeakedFrames.ToHashSet(); var plate = c.PlateFrameIndexes.ToHashSet();
            return Enumerable.Range(0, c.Frames).Select(f => leaked.Contains(f) ? red : plate.Contains(f) ? green : grey).ToList();
        }
        var rows = new List<(string, IReadOnlyList<SKColor>)>();
        foreach (var c in scores)
        {
            if (baseline?.FirstOrDefault(b => b.Clip == c.Clip) is { } old)
                rows.Add(($"{old.Clip} before: {old.Leaked}/{old.PlateFrames} leaked", Cells(old)));
            rows.Add(($"{c.Clip}{(baseline != null ? " now" : "")}: {c.Leaked}/{c.PlateFrames} leaked", Cells(c)));
        }
        Charts.StripChart(path, "Plate-frames over time (one cell per frame)", rows, [("plate covered", green), ("plate leaked", red), ("no plate", grey)]);
    }
}
