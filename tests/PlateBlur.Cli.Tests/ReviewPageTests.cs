using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Reports;
using PlateBlur.Cli.Tests.Review;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Cli.Tests;

/// <summary>A Fact that needs the shared data and a system Chromium (Debian's chromium, installed by scripts/test.sh); in CI it always runs.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (TestEnv.SkipReason is { } r) Skip = r;
        else if (BrowserTest.Chromium == null && !TestEnv.InCi) Skip = BrowserTest.NoChromium;
    }
}

/// <summary>The review page in a real Chromium, driven by Playwright: step frames, draw a region, drop a track, save, re-render; then the
/// new output is measured: the region blurred across its span, the dropped track not.</summary>
public class ReviewPageTests(ITestOutputHelper log)
{
    /// <summary>A window of the white house in uk_rain_street on frame 60 (no plate there).</summary>
    private static readonly BoxF Window = new(350, 160, 44, 50);

    [BrowserFact]
    public async Task A_reviewer_steps_frames_draws_a_region_drops_a_track_saves_and_re_renders()
    {
        using var dir = TestEnv.TempDir();
        string src = TestEnv.Shared("samples", "uk_rain_street.mp4"), output = dir.File("street.mp4");
        var first = CliRunner.Run("anonymize", src, "-o", output, "--preset", "ultrafast", "--quiet");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var plain = AnonymizationReport.Read(output + ".report.json");
        int drop = Detail.FalsePositiveTrack(plain, Path.Combine(TestEnv.RepoRoot, "tests", "annotations", "uk_rain_street.boxes.txt"))
            ?? throw new InvalidOperationException("no false-positive track to drop");
        Assert.DoesNotContain(Detail.Masks(plain).GetValueOrDefault(60) ?? [], m => m.IntersectionArea(Window) > 0); // a spot that was not masked

        string shots = BrowserTest.ShotDir("review");
        using (var review = new PageProcess("review", output, "--source", src, "--port", "0"))
        {
            string url = await review.UrlAsync();
            Assert.StartsWith("http://127.0.0.1:", url);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = BrowserTest.Chromium, Headless = true, Args = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1500, Height = 1000 } });
            var consoleErrors = new List<string>();
            page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add($"{m.Text} ({m.Location})"); };
            await page.GotoAsync(url);
            await page.WaitForSelectorAsync("body[data-ready=true]", new() { Timeout = 60_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "1-open.png") });

            // Step to frame 60: type 58, then two frames on with the keyboard; the video must show that frame.
            await page.FillAsync("#frame-input", "58");
            await page.Locator("#frame-input").DispatchEventAsync("change");
            await page.Locator("#stage").ClickAsync(new() { Position = new() { X = 5, Y = 5 } });
            await page.Keyboard.PressAsync("ArrowRight");
            await page.Keyboard.PressAsync("ArrowRight");
            await page.WaitForSelectorAsync("body[data-frame='60']");
            Assert.StartsWith("frame 60 / 139", await page.TextContentAsync("#frame-label"));
            double time = await page.EvaluateAsync<double>("document.getElementById('video').currentTime");
            Assert.True(Math.Abs(time - 60.5 / 30) < 0.005, $"video at {time} s for frame 60");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "2-frame-60.png") });

            // The original, with its warning.
            await page.CheckAsync("#original");
            Assert.Contains("personal data", await page.TextContentAsync("#original-note"));
            Assert.True(await page.IsVisibleAsync("#original-note"));
            await page.WaitForSelectorAsync("body[data-ready=true]");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "3-original.png") });
            await page.UncheckAsync("#original");
            await page.WaitForSelectorAsync("body[data-ready=true]");
            Assert.Equal("60", await page.GetAttributeAsync("body", "data-frame"));

            // Draw the region over the window (frame pixels to page pixels), then set its span to frames 10–110.
            await page.SelectOptionAsync("#draw-class", "other");
            await page.ClickAsync("#draw");
            var box = (await page.Locator("#overlay").BoundingBoxAsync())!;
            float sx = box.Width / 1280, sy = box.Height / 720;
            await page.Mouse.MoveAsync(box.X + Window.X * sx, box.Y + Window.Y * sy);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + (Window.X + Window.W / 2) * sx, box.Y + (Window.Y + Window.H / 2) * sy, new() { Steps = 3 });
            await page.Mouse.MoveAsync(box.X + Window.Right * sx, box.Y + Window.Bottom * sy, new() { Steps = 3 });
            await page.Mouse.UpAsync();
            Assert.Equal(1, await page.Locator("#regions li").CountAsync());
            await page.FillAsync("#regions li .span-from", "10");
            await page.Locator("#regions li .span-from").DispatchEventAsync("change");
            await page.FillAsync("#regions li .span-to", "110");
            await page.Locator("#regions li .span-to").DispatchEventAsync("change");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "4-region.png") });

            // Drop the false-positive track, save.
            await page.CheckAsync($"#tracks tr[data-track='{drop}'] input.drop");
            await page.ClickAsync("#save");
            await page.WaitForSelectorAsync("body[data-saved]");
            Assert.Contains("saved", await page.TextContentAsync("#status"));
            var saved = EditsDocument.Load(output + ".edits.json").Doc;
            var region = Assert.Single(saved.Regions);
            Assert.Equal(("other", 10L, 110L), (region.Class, region.Span!.FromFrame!.Value, region.Span.ToFrame!.Value));
            var key = Assert.Single(region.Keys);
            Assert.Equal(60, key.Frame);
            var drawn = new BoxF(key.Box![0], key.Box[1], key.Box[2], key.Box[3]);
            Assert.True(drawn.Iou(Window) >= 0.85, $"drawn {drawn}, meant {Window}");
            Assert.Equal([drop], saved.DropTracks);
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "5-saved.png") });

            // Re-render once QC of the first output is on the page (they share the model), and wait for it with the progress shown.
            await page.WaitForSelectorAsync("#qc-link:not([hidden])", new() { Timeout = 120_000 });
            await page.ClickAsync("#render");
            await page.WaitForSelectorAsync("body[data-render=running]");
            await page.WaitForSelectorAsync("body[data-render=done]", new() { Timeout = 300_000 });
            Assert.StartsWith("re-rendered", await page.TextContentAsync("#status"));
            await page.WaitForSelectorAsync("body[data-ready=true]");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "6-re-rendered.png") });
            Assert.Empty(consoleErrors);
        }

        // The new output: the region is blurred across its span, the dropped track is not masked any more.
        var edited = AnonymizationReport.Read(output + ".report.json");
        Assert.Equal(101, edited.MasksByClass!["other"]);
        Assert.DoesNotContain(edited.Frames.SelectMany(f => f.Boxes), b => b.Track == drop);
        Assert.True(edited.Edits!.DroppedTracks.Single().MasksRemoved > 0);
        var manual = Detail.Masks(edited, b => b.Kind == "Manual");
        long[] probe = [10, 60, 110];
        var srcLuma = await Detail.LumaAsync(src, probe);
        var outLuma = await Detail.LumaAsync(output, probe);
        foreach (long f in probe)
        {
            var b = Assert.Single(manual[f]);
            double kept = Detail.Kept(srcLuma[f], outLuma[f], new BoxF(b.X + 3, b.Y + 3, b.W - 6, b.H - 6));
            log.WriteLine($"frame {f}: region {b} kept {kept:P1} of its detail");
            Assert.True(kept <= 0.10, $"frame {f}: the drawn region kept {kept:P1} of its detail");
        }
        var dropFrames = plain.Frames.Where(f => f.Boxes.Any(b => b.Track == drop && b.Kind == "Detected")).Select(f => f.Index).Take(5).ToList();
        var srcD = await Detail.LumaAsync(src, dropFrames);
        var outD = await Detail.LumaAsync(output, dropFrames);
        int checkedDrop = 0;
        foreach (long f in dropFrames)
        {
            var b = plain.Frames.Single(x => x.Index == f).Boxes.First(x => x.Track == drop);
            var inner = new BoxF(b.X + 2, b.Y + 2, b.W - 4, b.H - 4);
            if ((Detail.Masks(edited).GetValueOrDefault(f) ?? []).Any(m => m.IntersectionArea(inner) > 0)) continue;
            double kept = Detail.Kept(srcD[f], outD[f], inner);
            log.WriteLine($"frame {f}: dropped track {drop} kept {kept:P1}");
            Assert.True(kept >= 0.4, $"frame {f}: dropped track {drop} still blurred ({kept:P1} kept)");
            checkedDrop++;
        }
        Assert.True(checkedDrop >= 1);
        log.WriteLine($"screenshots in {shots}");
    }
}

/// <summary>The review server's boundaries, without a browser: loopback only, fixed routes, writes from its own page only, bad edits refused.</summary>
public class ReviewServerTests
{
    [SharedFact]
    public async Task Review_serves_only_its_files_on_loopback_and_refuses_foreign_hosts_origins_and_bad_edits()
    {
        using var dir = TestEnv.TempDir();
        string src = Clips.Make(dir.File("clip.mp4"), seconds: 1);
        var run = CliRunner.Run("anonymize", src, "-o", dir.File("out.mp4"), "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);
        File.WriteAllText(dir.File("secret.txt"), "not for the page");

        using (var p = new PageProcess("review", dir.File("out.mp4.report.json"), "--port", "0"))
        {
            var url = new Uri(await p.UrlAsync());
            Assert.Equal("127.0.0.1", url.Host);
            using var http = new HttpClient { BaseAddress = url };

            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
            var output = await http.GetAsync("/media/output");
            Assert.Equal(new FileInfo(dir.File("out.mp4")).Length, (await output.Content.ReadAsByteArrayAsync()).Length);
            // No route takes a path: neither traversal nor the source (not given) reaches anything.
            foreach (var path in new[] { "/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/source", "/secret.txt", "/media/output/../../secret.txt" })
            {
                var r = await http.GetAsync(path);
                Assert.True(r.StatusCode == System.Net.HttpStatusCode.NotFound, $"{path}: {r.StatusCode}");
            }
            // A page elsewhere that rebinds its name to 127.0.0.1 is refused (Host), and so is a write from another origin.
            var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/info"); rebound.Headers.Host = "attacker.example";
            Assert.Equal(System.Net.HttpStatusCode.MisdirectedRequest, (await http.SendAsync(rebound)).StatusCode);
            const string good = """{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "keys": [ { "frame": 3, "box": [10, 10, 40, 30] } ] } ] }""";
            var foreign = new HttpRequestMessage(HttpMethod.Put, "/api/edits") { Content = new StringContent(good, System.Text.Encoding.UTF8, "application/json") };
            foreign.Headers.Add("Origin", "http://attacker.example");
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.SendAsync(foreign)).StatusCode);
            Assert.False(File.Exists(dir.File("out.mp4.edits.json")));

            async Task<HttpResponseMessage> Put(string body)
            {
                var req = new HttpRequestMessage(HttpMethod.Put, "/api/edits") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
                req.Headers.Add("Origin", $"http://127.0.0.1:{url.Port}");
                return await http.SendAsync(req);
            }
            var bad = await Put("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "keys": [ { "frame": 3, "box": [9000, 10, 40, 30] } ] } ] }""");
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("outside the", await bad.Content.ReadAsStringAsync());
            Assert.False(File.Exists(dir.File("out.mp4.edits.json")));
            Assert.Equal(System.Net.HttpStatusCode.OK, (await Put(good)).StatusCode);
            Assert.Equal("logo", EditsDocument.Load(dir.File("out.mp4.edits.json")).Doc.Regions.Single().Class);
        }
    }
}

public class AnonymizeEditsTests
{
    [SharedFact]
    public void A_bad_edits_file_is_refused_in_one_line_before_anything_is_written()
    {
        using var dir = TestEnv.TempDir();
        string src = Clips.Make(dir.File("clip.mp4"), seconds: 1);
        File.WriteAllText(dir.File("e.edits.json"), """{ "schema": "plateblur.edits/2" }""");
        var r = CliRunner.Run("anonymize", src, "-o", dir.File("out.mp4"), "--edits", dir.File("e.edits.json"), "--quiet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown schema \"plateblur.edits/2\"", Assert.Single(r.ErrorLines));
        File.WriteAllText(dir.File("e.edits.json"), """{ "schema": "plateblur.edits/1", "regions": [ { "class": "screen", "span": { "fromFrame": 20, "toFrame": 5 }, "keys": [ { "frame": 6, "box": [1, 1, 9, 9] } ] } ] }""");
        r = CliRunner.Run("anonymize", src, "-o", dir.File("out.mp4"), "--edits", dir.File("e.edits.json"), "--quiet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("negative span", r.Stderr);
        Assert.Equal(["clip.mp4", "e.edits.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        r = CliRunner.Run("anonymize", dir.Path, "-o", dir.File("out"), "--edits", dir.File("e.edits.json"), "--quiet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--edits applies to one file", r.Stderr);
    }
}
