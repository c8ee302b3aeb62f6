using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Reports;

namespace PlateBlur.Cli.Review;

/// <summary>The review page: a minimal API on 127.0.0.1 only (another address only as <see cref="ReviewAccess"/> allows). It serves its own static files (embedded), the output, the QC contact sheet
/// and (with --source) the original, each by a fixed route: no route takes a path, so nothing else on the disk can be reached.
/// Requests must name this server in their Host header (no DNS rebinding) and writes must come from its own page (Origin checked).</summary>
public static class ReviewServer
{
    public static async Task<WebApplication> StartAsync(ReviewSession session, int port, CancellationToken ct = default) =>
        await StartAsync(session, port, ReviewAccess.LoopbackOnly, ct);

    public static async Task<WebApplication> StartAsync(ReviewSession session, int port, ReviewAccess access, CancellationToken ct = default)
    {
        var app = Create(access, port);
        MapPage(app);
        var routes = new Routes(_ => Task.FromResult<ReviewSession?>(session));
        MapSession(app, routes);
        app.MapPost("/api/render", () =>
        {
            bool started = session.StartRender(app.Lifetime.ApplicationStopping);
            return started ? Results.Accepted("/api/render", session.Status) : Results.Conflict(session.Status);
        });
        app.MapGet("/api/render", () => Results.Json(session.Status, AnonymizationReport.Json));
        await app.StartAsync(ct);
        return app;
    }

    /// <summary>How a page's routes find their session, and what the pipeline adds: the edits blob written after a save (returns the name
    /// to show), and the release state for the page.</summary>
    public sealed record Routes(Func<HttpContext, Task<ReviewSession?>> Session, Func<HttpContext, ReviewSession, Task<string>>? Saved = null,
        Func<HttpContext, ReviewSession, Task<object?>>? Release = null);

    /// <summary>The server with its guards: the address (refused unless <see cref="ReviewAccess.Refusal"/> allows it), Host and Origin checks,
    /// sign-in when asked, and the security headers.</summary>
    public static WebApplication Create(ReviewAccess access, int port)
    {
        if (access.Refusal() is { } why) throw new InvalidOperationException(why);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(access.Bind, port));
        var app = builder.Build();

        app.Use(async (ctx, next) =>
        {
            string host = ctx.Request.Host.Host;
            if (access.Loopback)
            {
                // Only this server's own names: a page elsewhere that rebinds its DNS name to 127.0.0.1 is refused.
                if (host is not ("127.0.0.1" or "localhost") || ctx.Request.Host.Port != ctx.Connection.LocalPort)
                {
                    ctx.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                    return;
                }
            }
            if (!access.Authorized(ctx, out string denied))
            {
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await ctx.Response.WriteAsync(denied);
                return;
            }
            if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            {
                string? from = ctx.Request.Headers.Origin;
                bool own = access.Loopback
                    ? from == $"http://127.0.0.1:{ctx.Connection.LocalPort}" || from == $"http://localhost:{ctx.Connection.LocalPort}"
                    : Uri.TryCreate(from, UriKind.Absolute, out var o) && string.Equals(o.Authority, ctx.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
                if (!own)
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
        return app;
    }

    /// <summary>The page's own files (embedded), under a route group (the pipeline serves one page per item; the page uses relative URLs).</summary>
    public static void MapPage(IEndpointRouteBuilder r)
    {
        // The page's URLs are relative: under a group it must be addressed with its trailing slash.
        r.MapGet("/", (HttpContext ctx) => ctx.Request.Path.Value?.EndsWith('/') == true
            ? Asset("index.html", "text/html; charset=utf-8") : Results.Redirect(ctx.Request.PathBase + ctx.Request.Path + "/"));
        r.MapGet("/review.js", () => Asset("review.js", "text/javascript; charset=utf-8"));
        r.MapGet("/review.css", () => Asset("review.css", "text/css; charset=utf-8"));
    }

    /// <summary>The session's fixed routes: info, report, edits (read, save), output, QC sheet and (when given) source.</summary>
    public static void MapSession(IEndpointRouteBuilder r, Routes routes)
    {
        r.MapGet("/api/info", async (HttpContext ctx) => await routes.Session(ctx) is { } s
            ? Results.Json(Info(s, routes.Release == null ? null : await routes.Release(ctx, s)), AnonymizationReport.Json) : Results.NotFound());
        r.MapGet("/api/report", async (HttpContext ctx) => await routes.Session(ctx) is { } s ? Results.Json(s.Report, AnonymizationReport.Json) : Results.NotFound());
        r.MapGet("/api/edits", async (HttpContext ctx) => await routes.Session(ctx) is { } s ? Results.Text(s.LoadEdits().ToJson(), "application/json") : Results.NotFound());
        r.MapPut("/api/edits", async (HttpContext ctx) =>
        {
            if (await routes.Session(ctx) is not { } session) return Results.NotFound();
            var req = ctx.Request;
            if (req.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
                return Results.BadRequest(new { error = "send the edits as application/json" });
            using var ms = new MemoryStream();
            await req.Body.CopyToAsync(ms);
            try
            {
                session.SaveEdits(ms.ToArray());
                string saved = routes.Saved == null ? session.EditsPath : await routes.Saved(ctx, session);
                return Results.Json(new { saved });
            }
            catch (InvalidDataException e) { return Results.BadRequest(new { error = e.Message }); }
        });
        r.MapGet("/media/output", async (HttpContext ctx) => await routes.Session(ctx) is { } s
            ? Results.File(s.OutputPath, ContentType(s.OutputPath), enableRangeProcessing: true) : Results.NotFound());
        r.MapGet("/media/qc", async (HttpContext ctx) => await routes.Session(ctx) is { } s && File.Exists(s.QcSheetPath)
            ? Results.File(s.QcSheetPath, "image/png") : Results.NotFound());
        r.MapGet("/media/source", async (HttpContext ctx) => await routes.Session(ctx) is { SourcePath: { } src }
            ? Results.File(src, ContentType(src), enableRangeProcessing: true) : Results.NotFound());
    }

    /// <summary>The address the server listens on (the port chosen when 0 was asked).</summary>
    public static string Url(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static object Info(ReviewSession s, object? release)
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
            canRender = release == null && s.RenderSourcePath != null,
            release,
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

    public static IResult Asset(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PlateBlur.Cli.Review.wwwroot." + name)
            ?? throw new InvalidOperationException($"review asset {name} is missing from the build");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
