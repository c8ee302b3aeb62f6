using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Playwright;
using PlateBlur.Cli.Review;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Reports;
using PlateBlur.Cli.Tests.Review;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Cli.Tests;

/// <summary>A Fact that needs the shared data, Azurite and a system Chromium; in CI it always runs.</summary>
public sealed class ServeBrowserFactAttribute : FactAttribute
{
    public ServeBrowserFactAttribute()
    {
        if (TestEnv.StorageSkipReason is { } r) Skip = r;
        else if (BrowserTest.Chromium == null && !TestEnv.InCi) Skip = BrowserTest.NoChromium;
    }
}

/// <summary>plateblur serve's review page in a real Chromium: a photo that QC quarantines (the detector threshold set so high that it masks
/// nothing, QC at its normal threshold finds the plate), a region drawn over what QC found, saved to the edits blob, released: the normal
/// pipeline re-renders it, QC passes, it is published to outbox/ and the PlateBlur.MediaReviewed CloudEvent reaches the Event Grid sink.</summary>
public class ServeReviewPageTests(ITestOutputHelper log)
{
    private static string Storage => TestEnv.Storage ?? throw new InvalidOperationException("PLATEBLUR_STORAGE (Azurite) is not set.");

    /// <summary>Polls a condition until it holds or the deadline passes.</summary>
    private static async Task Until(Func<Task<bool>> condition, TimeSpan within, Func<string> what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what());
            await Task.Delay(250);
        }
    }

    [ServeBrowserFact]
    public async Task A_quarantined_photo_is_corrected_on_serves_page_released_and_published_with_a_reviewed_event()
    {
        string prefix = "review-" + Guid.NewGuid().ToString("N")[..8];
        using var sink = new EventSink();
        var photo = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image;
        string name = $"{prefix}/{Path.GetFileName(photo)}";
        var service = new BlobServiceClient(Storage);
        async Task<bool> Exists(string container, string blob) => (await service.GetBlobContainerClient(container).GetBlobClient(blob).ExistsAsync()).Value;

        // Threshold 0.999: the detector masks nothing; QC re-detects at 0.5 and finds the plate (0.86): quarantine. (At QC's 0.3 the released
        // photo, its plate blurred, showed one 0.30 detection on the left edge that the first pass had not: a reviewer would cover it and release again.)
        using var serve = new PageProcess("serve", "--storage", Storage, "--poll-seconds", "0.5", "--source-policy", "move", "--prefix", prefix + "/",
            "--threshold", "0.999", "--qc-threshold", "0.5", "--event-grid-endpoint", sink.Endpoint, "--event-grid-key", "test", "--review-port", "0");
        string url = await serve.UrlAsync();
        Assert.StartsWith("http://127.0.0.1:", url);
        Assert.Equal(0, CliRunner.Run("upload", photo, "--storage", Storage, "--prefix", prefix).ExitCode);
        await Until(() => Exists("quarantine", name + ".report.json"), TimeSpan.FromMinutes(3), () => $"never quarantined:\n{serve.Log}");
        var quarantined = JsonSerializer.Deserialize<AnonymizationReport>(
            (await service.GetBlobContainerClient("quarantine").GetBlobClient(name + ".report.json").DownloadContentAsync()).Value.Content.ToString(), AnonymizationReport.Json)!;
        Assert.False(quarantined.Qc!.Passed);
        var residual = quarantined.Qc.Results.SelectMany(r => r.Residual).ToList();
        Assert.NotEmpty(residual);
        Assert.Equal(0, quarantined.Counts.Masks);
        await Until(() => Task.FromResult(sink.For($"inbox/{name}").Any(e => e.GetProperty("type").GetString() == "PlateBlur.QcFailed")), TimeSpan.FromSeconds(30), () => "no QcFailed event");

        string shots = BrowserTest.ShotDir("serve-review");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = BrowserTest.Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add($"{m.Text} ({m.Location})"); };

        // The list: the quarantined item, its QC verdict, its source still in inbox/.
        await page.GotoAsync(url);
        string id = PipelineReview.IdOf("quarantine", name);
        var row = page.Locator($"tr[data-item='{id}']");
        Assert.Equal("quarantine", await row.GetAttributeAsync("data-status"));
        Assert.Contains($"failed: {residual.Count} residual", await row.TextContentAsync());
        Assert.Contains("in inbox/", await row.TextContentAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "1-list.png") });

        // The item's page: releasable (the source exists), the original behind its personal-data warning.
        await row.Locator("a").ClickAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]", new() { Timeout = 60_000 });
        await page.WaitForSelectorAsync("body[data-can-release=true]");
        Assert.Contains("personal data", await page.TextContentAsync("#release-note"));
        Assert.Equal("Release with edits", (await page.TextContentAsync("#render"))!.Trim());
        await page.CheckAsync("#original");
        Assert.Contains("personal data", await page.TextContentAsync("#original-note"));
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.UncheckAsync("#original");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "2-item.png") });

        // Draw a region over each plate QC found (a margin of a fifth of its size around it), class plate.
        await page.SelectOptionAsync("#draw-class", "plate");
        var output = quarantined.Output ?? quarantined.Input;
        foreach (var b in residual)
        {
            await page.ClickAsync("#draw");
            var box = (await page.Locator("#overlay").BoundingBoxAsync())!;
            float sx = box.Width / output.Width, sy = box.Height / output.Height;
            float mx = b.W * 0.2f, my = b.H * 0.2f;
            await page.Mouse.MoveAsync(box.X + (b.X - mx) * sx, box.Y + (b.Y - my) * sy);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + (b.X + b.W / 2) * sx, box.Y + (b.Y + b.H / 2) * sy, new() { Steps = 3 });
            await page.Mouse.MoveAsync(box.X + (b.X + b.W + mx) * sx, box.Y + (b.Y + b.H + my) * sy, new() { Steps = 3 });
            await page.Mouse.UpAsync();
        }
        Assert.Equal(residual.Count, await page.Locator("#regions li").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "3-region.png") });

        // Save: the edits blob beside the source.
        await page.ClickAsync("#save");
        await page.WaitForSelectorAsync("body[data-saved]");
        Assert.Contains($"edits/{name}.edits.json", await page.TextContentAsync("#status"));
        var edits = EditsDocument.Parse((await service.GetBlobContainerClient("edits").GetBlobClient(name + ".edits.json").DownloadContentAsync()).Value.Content.ToArray(), "edits").Regions;
        Assert.Equal(residual.Count, edits.Count);
        Assert.All(edits, r => Assert.Equal("plate", r.Class));

        // Release: the normal pipeline runs again with the edits; QC passes; published to outbox/; the source policy (move) applies.
        await page.ClickAsync("#render");
        await page.WaitForSelectorAsync("body[data-release=running]");
        await page.WaitForSelectorAsync("body:not([data-release=running])", new() { Timeout = 240_000 });
        string released = (await page.TextContentAsync("#status"))!;
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "4-released.png") });
        if (await page.GetAttributeAsync("body", "data-release") != "anonymized")
        {
            string again = (await service.GetBlobContainerClient("quarantine").GetBlobClient(name + ".report.json").DownloadContentAsync()).Value.Content.ToString();
            var r = JsonSerializer.Deserialize<AnonymizationReport>(again, AnonymizationReport.Json)!;
            Assert.Fail($"{released}\nmasks: {JsonSerializer.Serialize(r.Frames)}\nqc: {JsonSerializer.Serialize(r.Qc)}\nfirst qc: {JsonSerializer.Serialize(quarantined.Qc)}\nedits: {JsonSerializer.Serialize(r.Edits)}\n{serve.Log}");
        }
        Assert.StartsWith("released: published to outbox", released);

        Assert.True(await Exists("outbox", name), serve.Log);
        var published = JsonSerializer.Deserialize<AnonymizationReport>(
            (await service.GetBlobContainerClient("outbox").GetBlobClient(name + ".report.json").DownloadContentAsync()).Value.Content.ToString(), AnonymizationReport.Json)!;
        Assert.True(published.Qc!.Passed);
        Assert.Equal(residual.Count, published.MasksByClass!["plate"]);
        Assert.Equal(residual.Count, published.Edits!.Regions.Count);
        Assert.False(await Exists("quarantine", name)); // released: no longer pending
        Assert.True(await Exists("archive", name));
        Assert.False(await Exists("inbox", name));
        await Until(() => Task.FromResult(sink.For($"inbox/{name}").Any(e => e.GetProperty("type").GetString() == "PlateBlur.MediaReviewed")), TimeSpan.FromSeconds(30),
            () => $"no MediaReviewed event: {string.Join(", ", sink.For($"inbox/{name}").Select(e => e.GetProperty("type").GetString()))}");
        var reviewed = sink.For($"inbox/{name}").Single(e => e.GetProperty("type").GetString() == "PlateBlur.MediaReviewed");
        Assert.EndsWith($"outbox/{name}", reviewed.GetProperty("data").GetProperty("output").GetString());
        Assert.DoesNotContain(sink.For($"inbox/{name}"), e => e.GetProperty("type").GetString() == "PlateBlur.MediaAnonymized");

        // The list now shows it published, with its source gone (moved to archive/): no longer releasable, and the page says why.
        await page.GotoAsync(url);
        var outRow = page.Locator($"tr[data-item='{PipelineReview.IdOf("outbox", name)}']");
        Assert.Contains("gone", await outRow.TextContentAsync());
        Assert.Equal(0, await page.Locator($"tr[data-item='{id}']").CountAsync());
        await outRow.Locator("a").ClickAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]", new() { Timeout = 60_000 });
        await page.WaitForSelectorAsync("body[data-can-release=false]");
        Assert.Contains("no longer exists", await page.TextContentAsync("#release-note"));
        Assert.True(await page.IsHiddenAsync("#original-toggle"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "5-published.png") });
        // The server refuses it too, with the reason (not only the disabled button).
        using (var http = new HttpClient { BaseAddress = new Uri(url) })
        {
            var req = new HttpRequestMessage(HttpMethod.Post, $"items/{PipelineReview.IdOf("outbox", name)}/api/release");
            req.Headers.Add("Origin", url.TrimEnd('/'));
            var refused = await http.SendAsync(req);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains($"the source inbox/{name} no longer exists", await refused.Content.ReadAsStringAsync());
        }
        Assert.Empty(consoleErrors);
        log.WriteLine($"{residual.Count} residual plate(s) covered; screenshots in {shots}");
    }
}

/// <summary>The review page's address rules, without a browser: loopback unless --allow-remote with --auth entra; sign-in enforced.</summary>
public class ReviewAccessTests
{
    [Fact]
    public void Review_and_serve_refuse_a_non_loopback_address_without_allow_remote_and_auth()
    {
        var r = CliRunner.Run("review", "nothing.mp4", "--bind", "0.0.0.0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("binds loopback only, not 0.0.0.0", r.Stderr);
        Assert.Contains("--allow-remote", r.Stderr);
        r = CliRunner.Run("review", "nothing.mp4", "--bind", "0.0.0.0", "--allow-remote");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--allow-remote needs an authentication setting", r.Stderr);
        r = CliRunner.Run("review", "nothing.mp4", "--bind", "0.0.0.0", "--allow-remote", "--auth", "entra");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--auth entra needs --auth-group", r.Stderr);
        r = CliRunner.Run("serve", "--review-port", "0", "--review-bind", "10.1.2.3", "--storage", "UseDevelopmentStorage=true");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("binds loopback only, not 10.1.2.3", r.Stderr);
        r = CliRunner.Run("serve", "--review-port", "0", "--review-bind", "10.1.2.3", "--allow-remote", "--storage", "UseDevelopmentStorage=true");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--allow-remote needs an authentication setting", r.Stderr);
        r = CliRunner.Run("serve", "--auth", "entra", "--auth-group", "g", "--storage", "UseDevelopmentStorage=true");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("give --review-port too", r.Stderr);
    }

    [SharedFact]
    public async Task With_auth_entra_the_page_serves_only_signed_in_members_of_the_group()
    {
        using var dir = TestEnv.TempDir();
        string src = Clips.Make(dir.File("clip.mp4"), seconds: 1);
        var run = CliRunner.Run("anonymize", src, "-o", dir.File("out.mp4"), "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);
        const string group = "6f1c0a52-0000-4000-8000-00000000abcd";
        using (var p = new PageProcess("review", dir.File("out.mp4"), "--port", "0", "--auth", "entra", "--auth-group", group))
        {
            string line = await p.AnnouncedAsync();
            Assert.Contains($"signed-in members of group {group} only", line);
            using var http = new HttpClient { BaseAddress = new Uri(line.Split(' ')[1]) };
            async Task<System.Net.HttpStatusCode> Get(string? principal)
            {
                var req = new HttpRequestMessage(HttpMethod.Get, "/media/output");
                if (principal != null) req.Headers.Add(ReviewAccess.PrincipalHeader, principal);
                return (await http.SendAsync(req)).StatusCode;
            }
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await Get(null));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await Get(ReviewAccess.Principal("mallory", "another-group")));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await Get("not base64 json"));
            Assert.Equal(System.Net.HttpStatusCode.OK, await Get(ReviewAccess.Principal("reviewer", "another-group", group)));
        }
    }
}
