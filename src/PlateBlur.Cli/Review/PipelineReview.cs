using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;

namespace PlateBlur.Cli.Review;

/// <summary>plateblur serve's review page: a list of the items in quarantine/ and outbox/, and the review page per item (routes under
/// /items/ID/, ID = base64url of "container/path"). An item's output, report and QC sheet are read from blob storage into a private
/// temporary folder; the original only where inbox/ still holds the version the output came from. Saving writes edits/&lt;source&gt;.edits.json.
/// Release starts the normal orchestration for that source version once more (<see cref="InboxStarter.StartReviewedAsync"/>): Probe reads the
/// edits blob, QC, Publish, the source policy and Notify (PlateBlur.MediaReviewed when it is published) all run as for any upload.</summary>
public sealed class PipelineReview : IDisposable
{
    private readonly BlobStore _blobs;
    private readonly InboxStarter _starter;
    private readonly JobLedger _ledger;
    private readonly IServiceProvider _services;
    private readonly string? _prefix;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _open = new(1, 1);
    private readonly ConcurrentDictionary<string, Item> _items = new();
    private readonly ConcurrentDictionary<string, string> _releases = new();

    private PipelineReview(IServiceProvider services, string? prefix)
    {
        _services = services;
        _blobs = services.GetRequiredService<BlobStore>();
        _starter = services.GetRequiredService<InboxStarter>();
        _ledger = services.GetRequiredService<JobLedger>();
        _log = services.GetRequiredService<ILoggerFactory>().CreateLogger("PlateBlur.Review");
        _prefix = prefix;
    }

    private sealed record Item(string Container, string Name, Azure.ETag OutputETag, string Source, SourceVersion? Version, ReviewSession Session, DirectoryInfo Dir);

    public static async Task<WebApplication> StartAsync(IServiceProvider services, ReviewAccess access, int port, string? prefix, CancellationToken ct)
    {
        var review = new PipelineReview(services, prefix);
        var app = ReviewServer.Create(access, port);
        app.MapGet("/", (Func<HttpContext, Task<IResult>>)review.ListAsync);
        app.MapGet("/review.css", () => ReviewServer.Asset("review.css", "text/css; charset=utf-8"));
        var item = app.MapGroup("/items/{id}");
        ReviewServer.MapPage(item);
        ReviewServer.MapSession(item, new ReviewServer.Routes(review.SessionAsync, review.SavedAsync, review.ReleaseInfoAsync));
        item.MapPost("/api/release", (Func<HttpContext, Task<IResult>>)review.ReleaseAsync);
        item.MapGet("/api/release", (Func<HttpContext, Task<IResult>>)review.ReleaseStatusAsync);
        app.Lifetime.ApplicationStopped.Register(review.Dispose);
        await app.StartAsync(ct);
        return app;
    }

    public static string IdOf(string container, string name) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{container}/{name}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static readonly string[] NotMedia = [".report.json", ".qc.png", ".reason.json", ".edits.json"];

    /// <summary>The container and name an id stands for, when it is an item this page may show.</summary>
    private (string Container, string Name)? Parse(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 4000) return null;
        string b64 = id.Replace('-', '+').Replace('_', '/');
        b64 += new string('=', (4 - b64.Length % 4) % 4);
        string text;
        try { text = Encoding.UTF8.GetString(Convert.FromBase64String(b64)); } catch (FormatException) { return null; }
        int slash = text.IndexOf('/');
        if (slash < 0) return null;
        string container = text[..slash], name = text[(slash + 1)..];
        if (container is not (Containers.Quarantine or Containers.Outbox) || name.Length == 0 || WorkNames.Unsafe(name) != null) return null;
        if (NotMedia.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase))) return null;
        if (_prefix != null && !name.StartsWith(_prefix, StringComparison.Ordinal)) return null;
        return (container, name);
    }

    private async Task<Item?> ItemAsync(HttpContext ctx)
    {
        string? id = ctx.GetRouteValue("id") as string;
        if (Parse(id) is not var (container, name)) return null;
        var props = await _blobs.PropertiesAsync(container, name, ctx.RequestAborted);
        if (props == null) return null;
        if (_items.TryGetValue(id!, out var cached) && cached.OutputETag == props.ETag) return cached;
        await _open.WaitAsync(ctx.RequestAborted);
        try
        {
            if (_items.TryGetValue(id!, out cached) && cached.OutputETag == props.ETag) return cached;
            var item = await OpenAsync(container, name, props, ctx.RequestAborted);
            if (item == null) return null;
            if (_items.TryRemove(id!, out var old)) Close(old);
            _items[id!] = item;
            return item;
        }
        finally { _open.Release(); }
    }

    private async Task<ReviewSession?> SessionAsync(HttpContext ctx) => (await ItemAsync(ctx))?.Session;

    /// <summary>Copies the output, its report and QC sheet, the saved edits and (where inbox/ holds that version) the source into a private folder.</summary>
    private async Task<Item?> OpenAsync(string container, string name, BlobProperties props, CancellationToken ct)
    {
        if (await _blobs.PropertiesAsync(container, name + ".report.json", ct) == null) return null;
        var dir = PrivateTemp.Create(PrivateTemp.Review); // mode 0700; removed when the item closes, or by the next serve if this one is killed
        try
        {
            string output = Path.Combine(dir.FullName, WorkNames.LocalName("output", name));
            await _blobs.DownloadAsync(container, name, output, ct);
            await _blobs.DownloadAsync(container, name + ".report.json", output + ".report.json", ct);
            if (await _blobs.PropertiesAsync(container, name + ".qc.png", ct) != null)
                await _blobs.DownloadAsync(container, name + ".qc.png", output + ".qc.png", ct);
            var report = AnonymizationReport.Read(output + ".report.json");
            string source = report.Input.Path;
            if (await _blobs.PropertiesAsync(Containers.Edits, WorkNames.EditsFor(source), ct) != null)
                await _blobs.DownloadAsync(Containers.Edits, WorkNames.EditsFor(source), output + ".edits.json", ct);
            var version = SourceVersion.Of(props.Metadata);
            string? localSource = null;
            if (version != null && await _blobs.PropertiesAsync(Containers.Inbox, source, ct) is { } src && BlobStore.IsVersion(src.ETag, version.ETag))
            {
                localSource = Path.Combine(dir.FullName, WorkNames.LocalName("source", source));
                await _blobs.DownloadAsync(Containers.Inbox, source, localSource, ct);
            }
            var session = await ReviewSession.OpenAsync(output, localSource, ct);
            _log.LogInformation("review: opened {Container}/{Name}{Source}", container, name, localSource == null ? " (its source is gone)" : " with its source");
            return new Item(container, name, props.ETag, source, version, session, dir);
        }
        catch
        {
            try { dir.Delete(true); } catch (IOException) { }
            throw;
        }
    }

    private async Task<string> SavedAsync(HttpContext ctx, ReviewSession session)
    {
        var item = (await ItemAsync(ctx))!;
        string blob = WorkNames.EditsFor(item.Source);
        await _blobs.UploadTextAsync(await File.ReadAllTextAsync(session.EditsPath, ctx.RequestAborted), Containers.Edits, blob, ctx.RequestAborted);
        _log.LogInformation("review: edits for {Source} saved to {Container}/{Blob}", item.Source, Containers.Edits, blob);
        return $"{Containers.Edits}/{blob}";
    }

    /// <summary>Why the item cannot be released (its source is gone or replaced), or null.</summary>
    private async Task<(BlobProperties? Source, string? Why)> SourceAsync(Item item, CancellationToken ct)
    {
        if (item.Version == null) return (null, $"{item.Container}/{item.Name} does not name the source version it came from: it cannot be released");
        var src = await _blobs.PropertiesAsync(Containers.Inbox, item.Source, ct);
        if (src == null)
            return (null, $"cannot release: the source inbox/{item.Source} no longer exists (the source policy deleted or moved it, or it was removed). " +
                          "A release re-renders from the original; upload it to inbox/ again to run it anew (the saved edits are applied)");
        if (!BlobStore.IsVersion(src.ETag, item.Version.ETag))
            return (null, $"cannot release: inbox/{item.Source} now holds another version ({src.ETag.ToString().Trim('"')}) than the one this output came from; that version has its own run");
        return (src, null);
    }

    private async Task<object?> ReleaseInfoAsync(HttpContext ctx, ReviewSession session)
    {
        var item = (await ItemAsync(ctx))!;
        var (_, why) = await SourceAsync(item, ctx.RequestAborted);
        return new
        {
            container = item.Container,
            name = item.Name,
            source = $"{Containers.Inbox}/{item.Source}",
            canRelease = why == null,
            why,
            note = $"Release with edits: saves edits/{WorkNames.EditsFor(item.Source)}, then runs inbox/{item.Source} through the pipeline again " +
                   "(re-render with the edits, QC, publish to outbox/ when QC passes, the source policy, event PlateBlur.MediaReviewed). " +
                   (session.SourcePath != null ? "The original is shown on request: it holds personal data." : ""),
        };
    }

    private async Task<IResult> ReleaseAsync(HttpContext ctx)
    {
        if (await ItemAsync(ctx) is not { } item) return Results.NotFound();
        var ct = ctx.RequestAborted;
        var (src, why) = await SourceAsync(item, ct);
        if (src == null) return Results.Conflict(new { error = why });
        var edits = await _blobs.PropertiesAsync(Containers.Edits, WorkNames.EditsFor(item.Source), ct);
        if (edits == null) return Results.Conflict(new { error = "save edits first: a release without edits would render the same output again" });
        var client = _services.GetRequiredService<DurableTaskClient>();
        var started = await _starter.StartReviewedAsync(client, item.Source, src.ETag.ToString(), src.ContentLength, edits.ETag.ToString(), ct);
        if (started.Busy) return Results.Conflict(new { error = $"{started.InstanceId} is being run by another host; try again when it has finished" });
        _releases[(string)ctx.GetRouteValue("id")!] = started.InstanceId;
        _log.LogInformation("review: release of {Container}/{Name} with edits {ETag}: {Id}{How}", item.Container, item.Name, edits.ETag, started.InstanceId,
            started.Started ? " started" : " (already run with these edits)");
        return Results.Accepted(null, new { instanceId = started.InstanceId, started = started.Started });
    }

    private async Task<IResult> ReleaseStatusAsync(HttpContext ctx)
    {
        if (!_releases.TryGetValue((string)ctx.GetRouteValue("id")!, out var id)) return Results.Json(new { state = "idle", message = "" });
        var ct = ctx.RequestAborted;
        var m = await _services.GetRequiredService<DurableTaskClient>().GetInstanceAsync(id, getInputsAndOutputs: true, ct);
        string? status = null, output = null, reason = null;
        if (m is { IsCompleted: true })
        {
            var o = m.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? m.ReadOutputAs<MediaOutcome>() : null;
            (status, output, reason) = (o?.Status ?? "failed", o?.Output, o?.Reason ?? m.FailureDetails?.ErrorMessage);
        }
        else if (m == null && await _ledger.GetAsync(id, ct) is { } entry) (status, output, reason) = (entry.Status, entry.Output, entry.Reason);
        if (status == null)
        {
            string stage = "starting";
            if (m?.SerializedCustomStatus is { } cs)
            {
                using var doc = JsonDocument.Parse(cs);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("stage", out var st)) stage = st.GetString() ?? stage;
            }
            return Results.Json(new { state = "running", instanceId = id, message = $"releasing ({id}): {stage}…" });
        }
        string message = status switch
        {
            "anonymized" => $"released: published to outbox ({output}); event {EventTypes.MediaReviewed} sent",
            "qc-failed" => $"not released: {reason}. Cover what the QC sheet shows and release again",
            _ => $"release ended {status}: {reason}",
        };
        return Results.Json(new { state = status == "anonymized" || status == "qc-failed" ? "done" : "failed", outcome = status, instanceId = id, output, message });
    }

    /// <summary>The list page: every reviewable item of quarantine/ and outbox/ (under --prefix), with its QC verdict and whether its source exists.</summary>
    private async Task<IResult> ListAsync(HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        var html = new StringBuilder();
        html.Append("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>PlateBlur review: items</title><link rel="icon" href="data:,">
            <link rel="stylesheet" href="review.css"></head><body><header><h1>PlateBlur review: items</h1>
            <p>Files the pipeline published (outbox/) or held back (quarantine/). Open one to check it, correct it and release it with edits.
            Originals are shown only while inbox/ still holds them; they hold personal data.</p></header>
            <table id="items"><thead><tr><th>file</th><th>status</th><th>QC</th><th>reason</th><th>source</th></tr></thead><tbody>
            """);
        int n = 0;
        foreach (var container in new[] { Containers.Quarantine, Containers.Outbox })
            await foreach (var blob in _blobs.ListAsync(container, _prefix, ct))
            {
                if (n >= 500 || NotMedia.Any(s => blob.Name.EndsWith(s, StringComparison.OrdinalIgnoreCase))) continue;
                AnonymizationReport report;
                try { report = JsonSerializer.Deserialize<AnonymizationReport>(await _blobs.ReadTextAsync(container, blob.Name + ".report.json", ct), AnonymizationReport.Json)!; }
                catch (Azure.RequestFailedException e) when (e.Status == 404) { continue; } // a rejected input (its .reason.json says why): nothing to review
                var qc = report.Qc;
                string verdict = qc == null ? "—" : qc.Passed ? $"passed ({qc.Samples} frames)" : $"failed: {qc.Results.Sum(r => r.Residual.Count)} residual in {qc.Samples} frames";
                string reason = container == Containers.Quarantine ? "QC found possible plates outside the masks" : "";
                bool source = await _blobs.PropertiesAsync(Containers.Inbox, report.Input.Path, ct) != null;
                string id = IdOf(container, blob.Name);
                html.Append($"<tr data-item=\"{id}\" data-status=\"{container}\"><td><a href=\"items/{id}/\">{Enc(blob.Name)}</a></td><td>{(container == Containers.Quarantine ? "quarantined" : "published")}</td>" +
                    $"<td>{Enc(verdict)}</td><td>{Enc(reason)}</td><td>{(source ? "in inbox/" : "gone")}</td></tr>");
                n++;
            }
        html.Append(n == 0 ? "</tbody></table><p>No items.</p></body></html>" : "</tbody></table></body></html>");
        return Results.Text(html.ToString(), "text/html; charset=utf-8");
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    private static void Close(Item item)
    {
        item.Session.Dispose();
        try { item.Dir.Delete(true); } catch (IOException) { }
    }

    public void Dispose()
    {
        foreach (var item in _items.Values) Close(item);
        _items.Clear();
        _open.Dispose();
    }
}
