using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlateBlur.Cli.Commands;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;

namespace PlateBlur.Cli.Bench;

/// <summary>plateblur bench-pipeline FILE: runs the orchestration on the in-process backend against a storage account (Azurite)
/// with 1, 2, … segments in flight and prints segments, history size and the time of each stage.</summary>
public static class PipelineBenchCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A video to run through the pipeline" };
        var storage = ServeCommand.Storage();
        var inFlight = new Option<string>("--in-flight") { Description = "Comma-separated segments-in-flight caps to compare", DefaultValueFactory = _ => "1,2" };
        var pipeline = new PipelineOptions(nameof(Core.PlateBlurOptions.SegmentSeconds));
        var cmd = new Command("bench-pipeline", "Time the serverless pipeline (split, segments, stitch, QC) on one video with different fan-out caps") { file };
        cmd.Options.Add(storage); cmd.Options.Add(inFlight);
        pipeline.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            string connection = ServeCommand.ResolveStorage(r.GetValue(storage));
            var rows = new List<string>
            {
                "| in flight | segments | activity calls | history payload | split s | slowest segment s | sum of segments s | stitch s | QC s | wall s | source bytes read per input byte | all bytes read per input byte | output / input |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            };
            foreach (var cap in r.GetValue(inFlight)!.Split(',').Select(int.Parse))
            {
                var options = pipeline.Bind(r) with { MaxSegmentsInFlight = cap, SourcePolicy = "keep" };
                var settings = ServeCommand.Flatten(options);
                settings[PipelineServices.StorageConnection] = connection;
                var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
                await using var host = await DurableTaskTestHost.StartAsync(reg => reg.AddPlateBlurTasks(), new DurableTaskTestHostOptions
                {
                    LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)),
                    ConfigureServices = s => { s.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)); s.AddPlateBlurPipeline(config); },
                });
                var blobs = host.Services.GetRequiredService<BlobStore>();
                await blobs.EnsureContainersAsync(ct);
                string name = $"bench/{cap}-{Guid.NewGuid():N}/{Path.GetFileName(r.GetValue(file))}";
                await blobs.UploadAsync(r.GetValue(file)!, Containers.Inbox, name, null, ct);
                var props = (await blobs.PropertiesAsync(Containers.Inbox, name, ct))!;
                var sw = Stopwatch.StartNew();
                var (id, _) = await host.Services.GetRequiredService<InboxStarter>().StartAsync(host.Client, name, props.ETag.ToString(), props.ContentLength, ct);
                var m = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);
                double wall = sw.Elapsed.TotalSeconds;
                var o = m.ReadOutputAs<MediaOutcome>()!;
                var st = o.Stages ?? new StageSeconds(0, 0, 0, 0, 0);
                Console.Error.WriteLine($"in flight {cap}: {o.Status} in {wall:0.0} s ({o.Reason})");
                // Bytes this process read from storage for the run (StorageReads): the source's, and all (segments, results, reports too).
                var reads = StorageReads.Of(id);
                double input = props.ContentLength;
                long source = reads.Where(kv => kv.Key.Container == Containers.Inbox).Sum(kv => kv.Value), all = reads.Values.Sum();
                string outName = WorkNames.OutputName(name, "video");
                long output = ((await blobs.PropertiesAsync(Containers.Outbox, outName, ct)) ?? await blobs.PropertiesAsync(Containers.Quarantine, outName, ct))?.ContentLength ?? 0;
                foreach (var g in reads.GroupBy(kv => kv.Key.Activity.Split(' ')[0]).OrderBy(g => g.Key))
                    Console.Error.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0}: {1:0.000} source bytes, {2:0.000} all bytes per input byte", g.Key,
                        g.Where(kv => kv.Key.Container == Containers.Inbox).Sum(kv => kv.Value) / input, g.Sum(kv => kv.Value) / input));
                rows.Add(string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2} | {3:0.0} KB | {4:0.0} | {5:0.0} | {6:0.0} | {7:0.0} | {8:0.0} | {9:0.0} | {10:0.00} | {11:0.00} | {12:0.00} |",
                    cap, o.Segments, o.ActivityCalls, o.HistoryPayloadBytes / 1024.0, st.Split, st.SlowestSegment, st.SumOfSegments, st.Stitch, st.Qc, wall,
                    source / input, all / input, output / input));
                await blobs.DeletePrefixAsync(Containers.Inbox, name, ct);
            }
            Console.WriteLine(string.Join("\n", rows));
            return 0;
        });
        return cmd;
    }
}
