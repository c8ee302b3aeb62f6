using System.Globalization;
using System.Text.Json;
using PlateBlur.Core;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Detection;
using PlateBlur.Evaluation;
using PlateBlur.Core.Reports;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

/// <summary>The eval commands on small subsets, checked against counts made another way.</summary>
public class EvalCommandTests
{
    /// <summary>Share of a box's pixels inside any of the masks, counted pixel by pixel.</summary>
    private static double PixelCoverage(BoxF t, IEnumerable<BoxF> masks)
    {
        int inside = 0, all = 0;
        for (int y = (int)t.Y; y < (int)t.Bottom; y++)
            for (int x = (int)t.X; x < (int)t.Right; x++)
            {
                all++;
                if (masks.Any(m => x + 0.5 >= m.X && x + 0.5 < m.Right && y + 0.5 >= m.Y && y + 0.5 < m.Bottom)) inside++;
            }
        return all == 0 ? 1 : (double)inside / all;
    }

    [SharedFact]
    public async Task Eval_coverage_count_equals_an_independent_count_over_anonymized_photos()
    {
        using var dir = TestEnv.TempDir();
        Directory.CreateDirectory(dir.File("data"));
        var picks = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-us")).Where((_, i) => i % 28 == 0).ToList();
        foreach (var p in picks)
        {
            File.Copy(p.Image, dir.File("data/" + Path.GetFileName(p.Image)));
            File.Copy(Path.ChangeExtension(p.Image, ".txt"), dir.File("data/" + Path.GetFileNameWithoutExtension(p.Image) + ".txt"));
        }
        var r = CliRunner.Run("eval", "--data", dir.File("data"), "--out", dir.File("out"));
        Assert.Equal(0, r.ExitCode);
        foreach (var f in new[] { "eval.md", "eval.json", "threshold.png", "missed.png" }) Assert.True(File.Exists(dir.File("out/" + f)), f);

        // Independent count: anonymize each photo for real and measure its report's masks pixel by pixel.
        using var anonymizer = await Anonymizer.CreateAsync(new PlateBlurOptions { Threads = 2 }, TestEnv.Models);
        int covered = 0;
        foreach (var p in picks)
        {
            var report = await anonymizer.AnonymizeFileAsync(p.Image, dir.File(Path.GetFileName(p.Image)), overwrite: false);
            var masks = report.Frames.SelectMany(f => f.Boxes).Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList();
            if (PixelCoverage(p.Plate, masks) >= 0.9) covered++;
        }
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("out/eval.json")));
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.Equal(picks.Count, metrics.GetProperty("images").GetInt32());
        Assert.Equal(covered, metrics.GetProperty("covered").GetInt32());
        Assert.Equal((double)covered / picks.Count, metrics.GetProperty("coverageRecall").GetDouble(), 6);
    }

    [SharedFact]
    public void Eval_video_leak_count_equals_an_independent_count_from_the_reports()
    {
        using var dir = TestEnv.TempDir();
        Assert.Equal(0, EvalVideoOnSyntheticClips(dir, 3, 24, "--keep-clips").ExitCode);
        int plateFrames = 0, leaked = 0;
        foreach (var boxes in Directory.GetFiles(dir.File("out/boxes"), "*.boxes.txt"))
        {
            string clip = Path.GetFileName(boxes).Replace(".boxes.txt", "");
            var report = AnonymizationReport.Read(dir.File($"out/clips/anonymized-{clip}.mp4.report.json"));
            var masks = report.Frames.ToDictionary(f => f.Index, f => f.Boxes.Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList());
            foreach (var line in File.ReadLines(boxes).Where(l => !l.StartsWith('#')))
            {
                var v = line.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                plateFrames++;
                if (PixelCoverage(new BoxF((float)v[1], (float)v[2], (float)v[3], (float)v[4]), masks.GetValueOrDefault((long)v[0]) ?? []) < 0.9) leaked++;
            }
        }
        using (var json = JsonDocument.Parse(File.ReadAllText(dir.File("out/eval-video.json"))))
        {
            var totals = json.RootElement.GetProperty("totals");
            Assert.Equal(3, totals.GetProperty("clips").GetInt32());
            Assert.Equal(plateFrames, totals.GetProperty("plateFrames").GetInt32());
            Assert.Equal(leaked, totals.GetProperty("leaked").GetInt32());
        }
        Assert.True(plateFrames >= 60, $"the clips show the plate in most frames ({plateFrames})");
        Assert.True(File.Exists(dir.File("out/leaks.png")));
        using var recipes = JsonDocument.Parse(File.ReadAllText(dir.File("out/recipes.json")));
        Assert.Equal(3, recipes.RootElement.GetProperty("recipes").GetArrayLength());
    }

    [Fact]
    public void Eval_video_sums_the_tuning_and_report_halves_apart_and_an_unlisted_clip_is_report_half()
    {
        using var dir = TestEnv.TempDir();
        File.WriteAllText(dir.File("halves.txt"), "# test\nuk tuning\nvn report  # toll booth\n");
        var halves = Commands.EvalVideoCommand.ReadHalves(dir.File("halves.txt"));
        ClipScore Row(string clip, int plateFrames, int leaked, string variant = "native") =>
            new(clip, 100, 1, plateFrames, leaked, leaked, new Dictionary<int, int>(), 2, 10, [], [], 0.05, variant, variant == "native" ? 1 : 3);
        var scores = new List<ClipScore>
        {
            Row("uk.mp4", 300, 1), Row("vn.mp4", 400, 6), Row("nz.mp4", 186, 0), // nz is not listed: report half
            Row("uk.mp4 @10fps (every 3)", 100, 0, "10fps"), Row("vn.mp4 @10fps (every 2)", 200, 5, "10fps"),
        };
        var t = Commands.EvalVideoCommand.HalfTotalsOf(scores, halves);
        Assert.Equal(["report half, native", "report half, 10fps", "tuning half, native", "tuning half, 10fps"], t.Keys.ToArray());
        Assert.Equal((2, 586, 6), (t["report half, native"].Clips, t["report half, native"].PlateFrames, t["report half, native"].Leaked));
        Assert.Equal((1, 200, 5), (t["report half, 10fps"].Clips, t["report half, 10fps"].PlateFrames, t["report half, 10fps"].Leaked));
        Assert.Equal((1, 300, 1), (t["tuning half, native"].Clips, t["tuning half, native"].PlateFrames, t["tuning half, native"].Leaked));
        string table = Commands.EvalVideoCommand.Table(scores, Commands.EvalVideoCommand.Total(scores), t);
        Assert.Contains("| **report half, native: 2 clips** | | | 586 | 6 | **1.02 %** |", table);

        File.WriteAllText(dir.File("bad.txt"), "uk tuning\nuk report\n");
        Assert.Contains("listed twice", Assert.Throws<InvalidDataException>(() => Commands.EvalVideoCommand.ReadHalves(dir.File("bad.txt"))).Message);
        File.WriteAllText(dir.File("bad.txt"), "uk tunning\n");
        Assert.Contains("line 1", Assert.Throws<InvalidDataException>(() => Commands.EvalVideoCommand.ReadHalves(dir.File("bad.txt"))).Message);
    }

    [Fact]
    public void The_annotated_clips_halves_file_lists_every_boxes_file_once()
    {
        string dir = Path.Combine(TestEnv.RepoRoot, "tests", "annotations");
        var halves = Commands.EvalVideoCommand.ReadHalves(Path.Combine(dir, Commands.EvalVideoCommand.HalvesFile));
        var clips = Directory.GetFiles(dir, "*.boxes.txt").Select(f => Path.GetFileName(f)[..^".boxes.txt".Length]).Order().ToList();
        Assert.Equal(clips, halves.Keys.Order().ToList());
        Assert.Equal(["jp_street_lowres", "uk_rain_street"], halves.Where(h => h.Value == "tuning").Select(h => h.Key).Order().ToArray());
    }

    [SharedFact]
    public void Eval_video_qc_sweep_measures_every_frame_and_its_numbers_fall_as_the_threshold_rises()
    {
        using var dir = TestEnv.TempDir();
        Assert.Equal(0, EvalVideoOnSyntheticClips(dir, 2, 16, "--qc-sweep").ExitCode);
        Assert.Contains("| QC threshold |", File.ReadAllText(dir.File("out/qc-sweep.md")));
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("out/eval-video.json")));
        var sweeps = json.RootElement.GetProperty("qcSweep");
        Assert.Equal(2, sweeps.GetArrayLength());
        foreach (var s in sweeps.EnumerateArray())
        {
            int frames = s.GetProperty("frames").GetInt32(), plateFrames = s.GetProperty("plateFrames").GetInt32();
            Assert.Equal(16, frames);
            Assert.True(plateFrames >= 8, $"{plateFrames} plate-frames");
            var rows = s.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal([0.3, 0.4, 0.5, 0.6, 0.7], rows.Select(x => Math.Round(x.GetProperty("threshold").GetDouble(), 2)).ToArray());
            for (int i = 1; i < rows.Count; i++)
            {
                Assert.True(rows[i].GetProperty("seen").GetInt32() <= rows[i - 1].GetProperty("seen").GetInt32());
                Assert.True(rows[i].GetProperty("falseFrames").GetInt32() <= rows[i - 1].GetProperty("falseFrames").GetInt32());
            }
            // The synthetic clips show a clear plate in most frames: QC sees it when nothing is masked.
            Assert.True(rows[0].GetProperty("seenShare").GetDouble() >= 0.5, s.ToString());
            Assert.All(rows, x => Assert.InRange(x.GetProperty("failChance").GetDouble(), 0, 1));
        }
    }

    /// <summary>eval-video on synthetic 640×360 clips made from the openalpr-eu photos, written to DIR/out.</summary>
    private static CliRunner.Result EvalVideoOnSyntheticClips(TempDir dir, int clips, int frames, params string[] extra) =>
        CliRunner.Run(["eval-video", "--data", TestEnv.Shared("data", "openalpr-eu"), "--clips", clips.ToString(CultureInfo.InvariantCulture),
            "--frames", frames.ToString(CultureInfo.InvariantCulture), "--size", "640x360", "--out", dir.File("out"), "--preset", "ultrafast", .. extra]);
}
