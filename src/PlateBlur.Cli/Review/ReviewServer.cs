using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Reports;

namespace PlateBlur.Cli.Review;

/// <summary>The review page: a minimal API on 127.0.0.1 only. It serves its own static files (embedded), the output, the QC contact sheet
/// and (with --source) the original, each by a fixed route: no route takes a path, so nothing else on the disk can be reached.
/// Requests must name this server in their Host header (no DNS rebinding) and writes must come from its own page (Origin checked).</summary>
public static class ReviewServer
{
    public static async Task<WebApplication> StartAsync(ReviewSession session, int port, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();

        app.Use(async (ctx, next) =>
        {
            // Only this server's own names: a page elsewhere that rebinds its DNS name to 127.0.0.1 is refused.
            string host = ctx.Request.Host.Host;
            if (host is not ("127.0.0.1" or "localhost") || ctx.Request.Host.Port != ctx.Connection.LocalPort)
            {
                ctx.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return;
            }
            if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            {
                string? from = ctx.Request.Headers.Origin;
                if (from != $"http://127.0.0.1:{ctx.Connection.LocalPort}" && from != $"http://localhost:{ctx.Connection.LocalPort}")
                {
                    ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await ctx.Response.WriteAsync("writes are accepted from the review page only");
                    return;
                }
            }
            ctx.Response.Headers["Cache-Control"] = "no-store";
            ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
            ctx.Response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
            await next();
        });

        app.MapGet("/", () => Asset("index.html", "text/html; charset=utf-8"));
        app.MapGet("/review.js", () => Asset("review.js", "text/javascript; charset=utf-8"));
        app.MapGet("/review.css", () => Asset("review.css", "text/css; charset=utf-8"));

        app.MapGet("/api/info", () => Results.Json(Info(session), AnonymizationReport.Json));
        app.MapGet("/api/report", () => Results.Json(session.Report, AnonymizationReport.Json));
        app.MapGet("/api/edits", () => Results.Text(session.LoadEdits().ToJson(), "application/json"));
        app.MapPut("/api/edits", async (HttpRequest req) =>
        {
            if (req.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
                return Results.BadRequest(new { error = "send the edits as application/json" });
            using var ms = new MemoryStream();
            await req.Body.CopyToAsync(ms);
            try
            {
                session.SaveEdits(ms.ToArray());
                return Results.Json(new { saved = session.EditsPath });
            }
            catch (InvalidDataException e) { return Results.BadRequest(new { error = e.Message }); }
        });
        app.MapPost("/api/render", () =>
        {
            bool started = session.StartRender(app.Lifetime.ApplicationStopping);
            return started ? Results.Accepted("/api/render", session.Status) : Results.Conflict(session.Status);
        });
        app.MapGet("/api/render", () => Results.Json(session.Status, AnonymizationReport.Json));

        app.MapGet("/media/output", () => Results.File(session.OutputPath, ContentType(session.OutputPath), enableRangeProcessing: true));
        app.MapGet("/media/qc", () => File.Exists(session.QcSheetPath) ? Results.File(session.QcSheetPath, "image/png") : Results.NotFound());
        app.MapGet("/media/source", () => session.SourcePath == null
            ? Results.NotFound()
            : Results.File(session.SourcePath, ContentType(session.SourcePath), enableRangeProcessing: true));

        await app.StartAsync(ct);
        return app;
    }

    /// <summary>The address the server listens on (the port chosen when 0 was asked).</summary>
    public static string Url(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static object Info(ReviewSession s)
    {
        var o = s.Report.Output ?? s.Report.Input;
        return new
        {
            output = Path.GetFileName(s.OutputPath),
            kind = s.Report.Kind,
            width = o.Width, height = o.Height, rotation = o.Rotation,
            fps = s.Fps,
            frameTimes = s.FrameTimes,
            hasSource = s.SourcePath != null,
            canRender = s.RenderSourcePath != null,
            editsFile = Path.GetFileName(s.EditsPath),
            hasQcSheet = File.Exists(s.QcSheetPath),
            classes = EditsDocument.Classes,
            threshold = s.Report.Options.EffectiveThreshold,
            version = s.Version,
            tracks = s.Tracks(),
            checkFirst = s.CheckFirst(),
            qc = s.Report.Qc,
            masksByClass = s.Report.MasksByClass,
            edits = s.Report.Edits == null ? null : new { s.Report.Edits.Regions, s.Report.Edits.DroppedTracks, s.Report.Edits.Warnings },
        };
    }

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" or ".mov" => "video/mp4",
        ".webm" => "video/webm",
        ".mkv" => "video/x-matroska",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        _ => "application/octet-stream",
    };

    private static IResult Asset(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PlateBlur.Cli.Review.wwwroot." + name)
            ?? throw new InvalidOperationException($"review asset {name} is missing from the build");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
