using System.CommandLine;
using System.Globalization;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur serve: the same orchestrator and activities as the Functions app, on the in-process Durable Task backend, watching inbox/.</summary>
public static class ServeCommand
{
    /// <summary>Azurite's well-known development account on its default ports.</summary>
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    public static Option<string?> Storage() => new("--storage")
    {
        Description = "Storage connection string (default: PLATEBLUR_STORAGE, else Azurite's development storage on its default ports)",
    };

    public static string ResolveStorage(string? given) =>
        given ?? (Environment.GetEnvironmentVariable("PLATEBLUR_STORAGE") is { Length: > 0 } env ? env : DevelopmentStorage);

    public static Command Create()
    {
        var storage = Storage();
        var poll = new Option<double>("--poll-seconds") { Description = "How often inbox/ is listed", DefaultValueFactory = _ => 2 };
        var prefix = new Option<string?>("--prefix") { Description = "Watch only this folder of inbox/" };
        var endpoint = new Option<string?>("--event-grid-endpoint") { Description = "Event Grid topic for CloudEvents (none: events are logged)" };
        var key = new Option<string?>("--event-grid-key") { Description = "Event Grid topic access key" };
        var backend = new Option<string>("--backend")
        {
            Description = "durable: orchestration history in the storage account (Durable Task's Azure Storage provider), so a restart resumes interrupted runs; memory: in-process only (a restart forgets running orchestrations; finished ones are in the ledger)",
            DefaultValueFactory = _ => "durable",
        };
        backend.AcceptOnlyFromAmong("durable", "memory");
        var otlp = new Option<string?>("--otlp-endpoint")
        {
            Description = "Send PlateBlur's traces, metrics and logs by OTLP to this collector (e.g. http://localhost:4317 for gRPC, http://localhost:4318 with --otlp-protocol http); off by default",
        };
        var otlpProtocol = new Option<string>("--otlp-protocol") { Description = "grpc | http (OTLP over HTTP/protobuf)", DefaultValueFactory = _ => "grpc" };
        otlpProtocol.AcceptOnlyFromAmong("grpc", "http");
        var taskHub = new Option<string>("--task-hub") { Description = "Task hub name of the durable backend (letters and digits, 3-45)", DefaultValueFactory = _ => "PlateBlurServe" };
        var reviewPort = new Option<int?>("--review-port")
        {
            Description = "Also serve the review page for quarantine/ and outbox/ on this port (0: any free port; 127.0.0.1 unless --review-bind with --allow-remote and --auth entra)",
        };
        var access = new Review.ReviewAccess.Options("review-");
        var pipeline = new PipelineOptions(PipelineOptions.Serve); // segments, QC and source policy too, with the Functions app's defaults
        var cmd = new Command("serve", "Run the serverless pipeline locally: watch inbox/ of a storage account (Azurite by default) and anonymize what arrives");
        foreach (var o in new Option[] { storage, poll, prefix, endpoint, key, backend, taskHub, otlp, otlpProtocol }) cmd.Options.Add(o);
        cmd.Options.Add(reviewPort);
        access.AddTo(cmd);
        pipeline.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var (review, refused) = access.Resolve(r);
            if (refused != null) { Console.Error.WriteLine($"plateblur: {refused}"); return 1; }
            if (r.GetValue(reviewPort) is < 0 or > 65535) { Console.Error.WriteLine("plateblur: --review-port must be 0–65535"); return 1; }
            if (r.GetValue(reviewPort) == null && (r.GetResult(access.Bind) is { Implicit: false } || r.GetValue(access.AllowRemote) || r.GetValue(access.Auth) != "none"))
            {
                Console.Error.WriteLine("plateblur: --review-bind, --allow-remote and --auth apply to the review page: give --review-port too");
                return 1;
            }
            var options = pipeline.Bind(r);
            var settings = Flatten(options);
            settings[PipelineServices.StorageConnection] = ResolveStorage(r.GetValue(storage));
            settings["PlateBlur:EventGridTopicEndpoint"] = r.GetValue(endpoint);
            settings["PlateBlur:EventGridTopicKey"] = r.GetValue(key);
            DurableStorageBackend? durable = null;
            ILoggerFactory? backendLoggers = null;
            try
            {
                var builder = Host.CreateApplicationBuilder();
                builder.Configuration.AddInMemoryCollection(settings);
                Levels(builder.Logging);
                try
                {
                    builder.Services.AddPlateBlurPipeline(builder.Configuration);
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"plateblur: {e.Message}");
                    return 1;
                }
                if (r.GetValue(otlp) is { } collector)
                {
                    if (!Uri.TryCreate(collector, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                    {
                        Console.Error.WriteLine($"plateblur: --otlp-endpoint must be an http(s) URL, e.g. http://localhost:4317 (got '{collector}')");
                        return 1;
                    }
                    AddOtlp(builder.Services, url, r.GetValue(otlpProtocol) == "http" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc);
                }
                if (r.GetValue(backend) == "memory")
                    builder.Services.AddInMemoryDurableTask(registry => registry.AddPlateBlurTasks(), new InMemoryDurableTaskOptions());
                else
                {
                    string hub = r.GetValue(taskHub)!;
                    if (hub.Length is < 3 or > 45 || !hub.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(hub[0]))
                    {
                        Console.Error.WriteLine($"plateblur: --task-hub must be 3-45 letters and digits, starting with a letter (got '{hub}')");
                        return 1;
                    }
                    string connection = settings[PipelineServices.StorageConnection]!;
                    // The task hub server starts first, on a port its own socket was given, and the worker and client are pointed at it.
                    backendLoggers = LoggerFactory.Create(b => Levels(b.AddConsole()));
                    durable = new DurableStorageBackend(connection, hub, backendLoggers);
                    await durable.StartAsync(ct);
                    string address = durable.Address;
                    builder.Services.AddDurableTaskWorker(b => { b.UseGrpc(address); b.AddTasks(registry => registry.AddPlateBlurTasks()); });
                    builder.Services.AddDurableTaskClient(b => { b.UseGrpc(address); b.RegisterDirectly(); });
                }
                builder.Services.AddHostedService(sp => new InboxWatcher(sp, TimeSpan.FromSeconds(Math.Max(0.2, r.GetValue(poll))), r.GetValue(prefix)));
                using var host = builder.Build();
                var activityLog = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PlateBlur.Activities");
                Orchestration.Activities.ActivityTrace.Started = (name, id, detail) =>
                    activityLog.LogInformation("{Id}: activity {Activity} runs{Detail}", id, name, detail == null ? "" : $" ({detail})");
                Orchestration.Activities.ActivityTrace.Failed = (name, id, detail, e) =>
                    activityLog.LogWarning("{Id}: activity {Activity} failed{Detail}: {Message}", id, name, detail == null ? "" : $" ({detail})",
                        e.Message.Split('\n', 2)[0].Trim());
                await host.Services.GetRequiredService<BlobStore>().EnsureContainersAsync(ct);
                // A serve that was killed left its private temporary folders (a review's source copy, ffmpeg reports naming SAS URLs).
                if (Core.Media.PrivateTemp.SweepStale(Core.Media.PrivateTemp.ProcessFiles, Core.Media.PrivateTemp.Review) is > 0 and var swept)
                    Console.Error.WriteLine($"plateblur serve: removed {swept} private temporary folder(s) left by PlateBlur processes that no longer run");
                Console.Error.WriteLine($"plateblur serve: watching {Containers.Inbox}/{r.GetValue(prefix)} with the {r.GetValue(backend)} backend (Ctrl+C stops)");
                if (r.GetValue(reviewPort) is not { } port)
                {
                    await host.RunAsync(ct);
                    return 0;
                }
                await host.StartAsync(ct);
                await using (var page = await Review.PipelineReview.StartAsync(host.Services, review!, port, r.GetValue(prefix), ct))
                {
                    Console.WriteLine($"review: {Review.ReviewServer.Url(page)}/  (items of {Containers.Quarantine}/ and {Containers.Outbox}/; " +
                        (review!.RequiresSignIn ? $"signed-in members of group {review.Group} only)" : "127.0.0.1 only)"));
                    await host.WaitForShutdownAsync(ct);
                    await page.StopAsync(CancellationToken.None);
                }
                return 0;
            }
            finally
            {
                if (durable != null)
                {
                    await durable.StopAsync(CancellationToken.None);
                    await durable.DisposeAsync();
                }
                backendLoggers?.Dispose();
            }
        });
        return cmd;
    }

    /// <summary>Serve's log levels, for the host and for the task hub server that starts before it: PlateBlur's information, the frameworks' warnings.</summary>
    private static ILoggingBuilder Levels(ILoggingBuilder b) =>
        b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning).AddFilter("DurableTask", LogLevel.Warning);

    /// <summary>PlateBlur's spans (one trace per media file), metrics and logs to an OTLP collector (service name plateblur-serve).</summary>
    public static void AddOtlp(IServiceCollection services, Uri endpoint, OtlpExportProtocol protocol)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("plateblur-serve", serviceVersion: typeof(ServeCommand).Assembly.GetName().Version?.ToString()))
            .WithTracing(t => t.AddSource(PipelineTelemetry.Name))
            .WithMetrics(m => m.AddMeter(PipelineTelemetry.Name))
            .WithLogging()
            .UseOtlpExporter(protocol, endpoint);
    }

    /// <summary>The options as configuration keys (PlateBlur:Name), the way app settings bind them.</summary>
    public static Dictionary<string, string?> Flatten(Core.PlateBlurOptions o) =>
        typeof(Core.PlateBlurOptions).GetProperties().Where(p => p.CanWrite)
            .ToDictionary(p => $"{Core.PlateBlurOptions.Section}:{p.Name}", p => Convert.ToString(p.GetValue(o), CultureInfo.InvariantCulture));

    /// <summary>Lists inbox/ every few seconds, starts orchestrations and logs how they end.</summary>
    private sealed class InboxWatcher(IServiceProvider services, TimeSpan period, string? prefix) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stop)
        {
            var client = services.GetRequiredService<DurableTaskClient>();
            var sweeper = services.GetRequiredService<InboxSweeper>();
            var log = services.GetRequiredService<ILogger<InboxWatcher>>();
            var running = new HashSet<string>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    foreach (var id in await sweeper.SweepAsync(client, stop, prefix)) running.Add(id);
                    foreach (var id in running.ToList())
                    {
                        var m = await client.GetInstanceAsync(id, getInputsAndOutputs: true, stop);
                        if (m == null || !m.IsCompleted) continue;
                        running.Remove(id);
                        var outcome = m.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? m.ReadOutputAs<MediaOutcome>() : null;
                        string detail = outcome?.Output ?? outcome?.Reason ?? m.FailureDetails?.ErrorMessage ?? "";
                        log.LogInformation("{Id}: {Status}: {Detail}", id, outcome?.Status ?? m.RuntimeStatus.ToString(), detail);
                    }
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // Only serve's own stop ends the watch: a request that timed out (TaskCanceledException) while storage was down must
                    // not fault this service, which would stop the whole host.
                    log.LogError("Inbox watch failed: {Message}", e.Message);
                }
                try { await Task.Delay(period, stop); } catch (OperationCanceledException) { }
            }
        }
    }
}
