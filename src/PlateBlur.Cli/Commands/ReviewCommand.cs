using System.CommandLine;
using PlateBlur.Cli.Review;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur review OUTPUT_OR_REPORT [--source INPUT] [--port P]: a local page to check an anonymized file, correct it (regions,
/// dropped tracks, saved as OUTPUT.edits.json) and re-render it. Loopback only.</summary>
public static class ReviewCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("output-or-report") { Description = "An anonymized output (its report is OUTPUT.report.json) or the report" };
        var source = new Option<string?>("--source") { Description = "The original: shown with mask outlines on request (it holds personal data), and re-rendered from" };
        var port = new Option<int>("--port") { Description = "Port (0: any free port), on 127.0.0.1 unless --bind", DefaultValueFactory = _ => 0 };
        var cmd = new Command("review", "Open a local review page (127.0.0.1 only) for an anonymized output: timeline, tracks, QC, manual regions, dropped tracks, re-render")
        {
            target,
        };
        cmd.Options.Add(source); cmd.Options.Add(port);
        var access = new ReviewAccess.Options("");
        access.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var (allowed, refused) = access.Resolve(r);
            if (refused != null) { Console.Error.WriteLine($"plateblur: {refused}"); return 1; }
            int p = r.GetValue(port);
            if (p is < 0 or > 65535) { Console.Error.WriteLine("plateblur: --port must be 0–65535"); return 1; }
            ReviewSession session;
            try { session = await ReviewSession.OpenAsync(r.GetValue(target)!, r.GetValue(source), ct); }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or System.Text.Json.JsonException or PlateBlur.Core.Media.MediaException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
            using (session)
            {
                await using var app = await ReviewServer.StartAsync(session, p, allowed!, ct);
                Console.WriteLine($"review: {ReviewServer.Url(app)}/  ({(allowed!.RequiresSignIn ? $"signed-in members of group {allowed.Group} only" : "127.0.0.1 only")}; Ctrl+C to stop)");
                if (session.SourcePath != null) Console.WriteLine("review: the original is served too: it holds personal data, keep the page to yourself");
                // QC for a local output (its report has none) runs while the page is already usable.
                _ = Task.Run(async () =>
                {
                    try { await session.EnsureQcAsync(ct); Console.WriteLine("review: QC contact sheet ready"); }
                    catch (Exception e) when (e is not OperationCanceledException) { Console.Error.WriteLine($"plateblur: QC could not run: {e.Message}"); }
                }, ct);
                try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
                await app.StopAsync(CancellationToken.None);
            }
            return 0;
        });
        return cmd;
    }
}
