using PlateBlur.Orchestration.Storage;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Orchestration.Tests;

/// <summary>The spans, metrics and logs of real pipeline runs on Azurite, captured in memory: one trace per file, rooted in the orchestration,
/// one child span per activity executed (the orchestrator replays after every activity, and must not emit its span again), the metric
/// names and tags, the latency from upload to publish, and the structured fields of the activities' logs.</summary>
public class TelemetryTests(ITestOutputHelper output)
{
    [StorageFact]
    public async Task One_video_and_one_bad_file_give_one_trace_each_with_a_span_per_activity_and_their_metrics()
    {
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(PipelineTelemetry.Name).AddInMemoryExporter(spans).Build()!;
        using var meter = Sdk.CreateMeterProviderBuilder().AddMeter(PipelineTelemetry.Name).AddInMemoryExporter(metrics).Build()!;
        var logs = new CapturingLoggerProvider();

        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SegmentSeconds"] = "2" },
            services: s => s.AddSingleton(logs.Factory()));
        using var dir = TestEnv.TempDir();
        File.WriteAllText(dir.File("notes.mp4"), "not a video at all");
        var uploaded = DateTimeOffset.UtcNow;
        var video = await h.UploadAsync(TestEnv.Shared("samples", "uk_rain_street.mp4"), "telemetry/street.mp4");
        var bad = await h.UploadAsync(dir.File("notes.mp4"), "telemetry/notes.mp4");

        var v = Completed(await h.RunAsync(video.Name, video.ETag, video.Size));
        var b = Completed(await h.RunAsync(bad.Name, bad.ETag, bad.Size));
        var published = DateTimeOffset.UtcNow;
        Assert.Equal("anonymized", v.Status);
        Assert.Equal("rejected", b.Status);
        Assert.True(v.Segments >= 2, $"{v.Segments} segments");
        Assert.True(tracer.ForceFlush(10_000));
        Assert.True(meter.ForceFlush(10_000));

        // Traces: the spans of each run, found by its instance id.
        string videoId = InboxStarter.InstanceIdFor(video.Name, video.ETag), badId = InboxStarter.InstanceIdFor(bad.Name, bad.ETag);
        var traceIds = new HashSet<ActivityTraceId>();
        foreach (var (id, outcome) in new[] { (videoId, v), (badId, b) })
        {
            var mine = spans.Where(s => (string?)s.GetTagItem("plateblur.instance_id") == id).ToList();
            output.WriteLine($"{id} ({outcome.Status}): " + string.Join(", ", mine.Select(s => s.DisplayName)));
            var root = Assert.Single(mine, s => s.DisplayName == AnonymizeMediaOrchestrator.Name);
            Assert.Equal(default, root.ParentSpanId);
            Assert.Equal(outcome.Status, root.GetTagItem("plateblur.status"));
            Assert.True(traceIds.Add(root.TraceId), "two files share a trace");
            var children = mine.Where(s => s != root).ToList();
            // One span per activity call of the orchestration (its own count, from history, plus the Cleanup that follows the outcome):
            // none lost, none repeated by a replay.
            Assert.Equal(outcome.ActivityCalls + 1, children.Count);
            Assert.All(children, c =>
            {
                Assert.Equal(root.TraceId, c.TraceId);
                Assert.Equal(root.SpanId, c.ParentSpanId);
                Assert.Equal(ActivityStatusCode.Unset, c.Status);
                Assert.InRange(c.StartTimeUtc, root.StartTimeUtc.AddSeconds(-1), root.StartTimeUtc + root.Duration);
            });
            // Every span of that trace is this file's.
            Assert.Equal(mine.Count, spans.Count(s => s.TraceId == root.TraceId));
            if (outcome == v)
            {
                var names = children.Select(c => c.DisplayName).ToList();
                Assert.Equal(v.Segments, names.Count(n => n == "ProcessSegment"));
                // Probe also plans; this clip's keyframes are 4.3 s apart, too sparse to cut 2 s segments at, so Split runs (re-encoding).
                foreach (var n in new[] { "Probe", "Split", "Stitch", "QcSample", "Publish", "ApplySourcePolicy", "Notify", "Cleanup" })
                    Assert.Equal(1, names.Count(x => x == n));
                Assert.Equal(["Probe", "Split"], children.OrderBy(c => c.StartTimeUtc).Take(2).Select(c => c.DisplayName));
                Assert.Equal("Cleanup", children.OrderBy(c => c.StartTimeUtc).Last().DisplayName);
                var segs = children.Where(c => c.DisplayName == "ProcessSegment").ToList();
                Assert.Equal(v.Frames, segs.Sum(s => Convert.ToInt64(s.GetTagItem("plateblur.frames"))));
            }
            else
                Assert.Equal(["Probe", "Quarantine", "Notify", "Cleanup"], children.OrderBy(c => c.StartTimeUtc).Select(c => c.DisplayName));
        }

        // Metrics: names, tags and values against the published report.
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(Containers.Outbox, video.Name + ".report.json"), AnonymizationReport.Json)!;
        output.WriteLine(string.Join("\n", metrics.Select(m => $"{m.Name}: " + string.Join("; ", m.MetricPoints.Select(p => Tags(p) + "=" + Value(m, p))))));
        Assert.Equal(v.Frames, Sum(metrics, "plateblur.frames", ("kind", "video")));
        Assert.Equal(140, v.Frames);
        Assert.Equal(report.Counts.Inferences, Sum(metrics, "plateblur.inferences"));
        Assert.True(report.Counts.Inferences > 0);
        var kinds = report.Frames.SelectMany(f => f.Boxes).GroupBy(x => x.Kind).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.NotEmpty(kinds);
        foreach (var (kind, count) in kinds) Assert.Equal(count, Sum(metrics, "plateblur.masks", ("kind", kind)));
        Assert.Equal(report.Counts.Masks, Sum(metrics, "plateblur.masks"));
        Assert.Equal(1, Sum(metrics, "plateblur.qc.verdicts", ("verdict", "pass")));
        Assert.Equal(0, Sum(metrics, "plateblur.qc.verdicts", ("verdict", "fail")));
        Assert.Equal(1, Sum(metrics, "plateblur.quarantined", ("reason", "not-media")));
        Assert.Equal(1, Sum(metrics, "plateblur.quarantined"));
        Assert.Equal(1, Sum(metrics, "plateblur.files", ("status", "anonymized")));
        Assert.Equal(1, Sum(metrics, "plateblur.files", ("status", "rejected")));
        // Bytes read from storage, by activity: what StorageReads counted for the two runs (Probe: the video's index, the bad file whole).
        long probeReads = new[] { videoId, badId }.Sum(id => StorageReads.Of(id).Where(kv => kv.Key.Activity == "Probe").Sum(kv => kv.Value));
        Assert.InRange(probeReads, 1, video.Size);
        Assert.Equal(probeReads, Sum(metrics, "plateblur.storage.read_bytes", ("activity", "Probe")));
        var latency = Assert.Single(Points(metrics, "plateblur.latency"));
        Assert.Equal("outbox", Tag(latency, "container"));
        Assert.Equal(1, latency.GetHistogramCount());
        // Upload-to-publish: at least the time the run took, at most the time since the upload (with a second for storage's clock).
        var videoRoot = spans.Single(s => s.DisplayName == AnonymizeMediaOrchestrator.Name && (string?)s.GetTagItem("plateblur.instance_id") == videoId);
        Assert.InRange(latency.GetHistogramSum(), videoRoot.Duration.TotalSeconds * 0.5, (published - uploaded).TotalSeconds + 1); // last-modified has one-second resolution

        // Logs: named fields, inside a scope with the instance id.
        var segLog = logs.Records.Where(r => r.Category.EndsWith(nameof(Activities.ProcessSegmentActivity))).ToList();
        Assert.Equal(v.Segments, segLog.Count);
        foreach (var r in segLog)
        {
            foreach (var field in new[] { "InstanceId", "Blob", "Segment", "Frames", "Fps", "Masks", "Inferences", "Bytes", "DurationSeconds" })
                Assert.True(r.Fields.ContainsKey(field), $"no {field} in '{r.Message}'");
            Assert.Equal(videoId, r.Scope["InstanceId"]);
            Assert.Equal("ProcessSegment", r.Scope["Activity"]);
            Assert.Equal(video.Name, r.Fields["Blob"]);
        }
        Assert.Equal(v.Frames, segLog.Sum(r => Convert.ToInt64(r.Fields["Frames"])));
        var qcLog = Assert.Single(logs.Records, r => r.Category.EndsWith(nameof(Activities.QcSampleActivity)));
        Assert.Equal("pass", qcLog.Fields["QcVerdict"]);
        var quarantineLog = Assert.Single(logs.Records, r => r.Category.EndsWith(nameof(Activities.QuarantineActivity)));
        Assert.Equal("not-media", quarantineLog.Fields["ReasonCode"]);
        Assert.Equal(badId, quarantineLog.Scope["InstanceId"]);
    }

    [StorageFact]
    public async Task A_failing_activity_logs_the_whole_exception_and_marks_its_span()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(PipelineTelemetry.Name).AddInMemoryExporter(spans).Build()!;
        var logs = new CapturingLoggerProvider();
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:ActivityAttempts"] = "1" },
            services: s => s.AddSingleton(logs.Factory()));
        var photo = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image, "telemetry/gone.jpg");
        // The source disappears after the probe accepted it: the photo activity's download throws.
        var job = new MediaJob(InboxStarter.InstanceIdFor(photo.Name, photo.ETag), photo.Name, photo.ETag.Trim('"'), photo.Size, h.Starter.Settings);
        var activity = h.Host.Services.GetRequiredService<Activities.AnonymizePhotoActivity>();
        await h.Blobs.DeleteAsync(Containers.Inbox, photo.Name, null);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => activity.RunTracedAsync(job.InstanceId,
            new PhotoWork(job.InstanceId, photo.Name, photo.Name, photo.ETag) { TraceParent = PipelineTelemetry.NewTraceParent() }, default));
        var failed = Assert.Single(logs.Records, r => r.Level == LogLevel.Error);
        Assert.Same(e, failed.Exception);
        Assert.Equal(job.InstanceId, failed.Scope["InstanceId"]);
        Assert.True(tracer.ForceFlush(10_000));
        var span = Assert.Single(spans, s => s.DisplayName == "AnonymizePhoto");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Contains(span.Events, ev => ev.Name == "exception");
    }

    private static MediaOutcome Completed(OrchestrationMetadata m)
    {
        Assert.True(m.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{m.RuntimeStatus}: {m.FailureDetails?.ErrorMessage}");
        return m.ReadOutputAs<MediaOutcome>()!;
    }

    private static List<MetricPoint> Points(List<MetricSnapshot> metrics, string name) =>
        // The exporter is cumulative: the last snapshot of a metric holds its totals.
        metrics.LastOrDefault(m => m.Name == name)?.MetricPoints.ToList() ?? [];

    private static long Sum(List<MetricSnapshot> metrics, string name, (string Key, string Value)? tag = null) =>
        Points(metrics, name).Where(p => tag == null || Tag(p, tag.Value.Key) == tag.Value.Value).Sum(p => p.GetSumLong());

    private static string? Tag(MetricPoint p, string key)
    {
        foreach (var t in p.Tags) if (t.Key == key) return t.Value?.ToString();
        return null;
    }

    private static string Tags(MetricPoint p)
    {
        var list = new List<string>();
        foreach (var t in p.Tags) list.Add($"{t.Key}:{t.Value}");
        return "{" + string.Join(",", list) + "}";
    }

    private static string Value(MetricSnapshot m, MetricPoint p) =>
        m.MetricType == MetricType.Histogram ? $"count {p.GetHistogramCount()} sum {p.GetHistogramSum():F2}" : p.GetSumLong().ToString();
}

/// <summary>Keeps every log entry's named fields, scope values and exception.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception, Dictionary<string, object?> Fields, Dictionary<string, object?> Scope);

    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
    public ConcurrentQueue<Entry> Records { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>A logger factory that writes PlateBlur's entries (Information and up) here, for the pipeline's services.</summary>
    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddFilter("PlateBlur", LogLevel.Information).AddProvider(this));
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;
    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!category.StartsWith("PlateBlur", StringComparison.Ordinal)) return;
            var fields = state is IEnumerable<KeyValuePair<string, object?>> kv ? kv.ToDictionary(p => p.Key, p => p.Value) : [];
            var scope = new Dictionary<string, object?>();
            owner._scopes.ForEachScope((s, acc) =>
            {
                if (s is IEnumerable<KeyValuePair<string, object?>> pairs) foreach (var p in pairs) acc[p.Key] = p.Value;
            }, scope);
            owner.Records.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception, fields, scope));
        }
    }
}
