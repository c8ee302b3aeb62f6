using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using PlateBlur.Core.Reports;

namespace PlateBlur.Orchestration;

/// <summary>PlateBlur's traces and metrics, in one place: the ActivitySource and the Meter are both named <see cref="Name"/>
/// (exporters subscribe with AddSource/AddMeter of that name; the Functions app and plateblur serve do).
/// <para>One trace per media file: the orchestration span is its root and every activity span is its child. The orchestration's trace
/// context (W3C traceparent) is chosen when the file's run is scheduled (<see cref="NewTraceParent"/>), travels in <see cref="MediaJob.TraceParent"/>
/// and, through the orchestrator, in every activity's input (<see cref="Traced"/>), so spans made in a worker process share the parent.
/// The orchestrator replays its code many times, so it makes no span while it runs: it emits its own span once, when it ends and is
/// not replaying, with the span id chosen at scheduling and its start at the orchestration's start.</para></summary>
public static class PipelineTelemetry
{
    public const string Name = "PlateBlur";

    public static readonly ActivitySource Source = new(Name, typeof(PipelineTelemetry).Assembly.GetName().Version?.ToString());
    public static readonly Meter Meter = new(Name, typeof(PipelineTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Video frames written (and photos, one frame each) by the activities that mask them; tag kind = video | photo.</summary>
    public static readonly Counter<long> Frames = Meter.CreateCounter<long>("plateblur.frames", "{frame}", "Frames processed (masked and encoded)");
    /// <summary>Detector runs (whole frame, tiles, vehicle crops).</summary>
    public static readonly Counter<long> Inferences = Meter.CreateCounter<long>("plateblur.inferences", "{inference}", "Plate detector inferences");
    /// <summary>Masked regions by how the tracker produced them; tag kind = the report's mask kind (Detected, Interpolated, Extended, …).</summary>
    public static readonly Counter<long> Masks = Meter.CreateCounter<long>("plateblur.masks", "{mask}", "Masked regions, by kind");
    /// <summary>QC verdicts; tag verdict = pass | fail.</summary>
    public static readonly Counter<long> QcVerdicts = Meter.CreateCounter<long>("plateblur.qc.verdicts", "{file}", "QC verdicts on outputs");
    /// <summary>Files sent to quarantine/; tag reason = unsafe-name | empty | too-large | gone | not-media | corrupt | … | qc-failed.</summary>
    public static readonly Counter<long> Quarantined = Meter.CreateCounter<long>("plateblur.quarantined", "{file}", "Files quarantined, by reason");
    /// <summary>Seconds from the source's upload (its last-modified time: when this version was written) to its output's publication; tag container = outbox | quarantine.</summary>
    public static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("plateblur.latency", "s", "End-to-end latency from upload to publish");
    /// <summary>Orchestrations ended; tag status = anonymized | qc-failed | rejected | failed | superseded | error.</summary>
    public static readonly Counter<long> Files = Meter.CreateCounter<long>("plateblur.files", "{file}", "Media files whose run ended, by status");

    /// <summary>Counts the masks of some frames by kind.</summary>
    public static void CountMasks(IEnumerable<FrameMasks> frames)
    {
        foreach (var g in frames.SelectMany(f => f.Boxes).GroupBy(b => b.Kind))
            Masks.Add(g.LongCount(), new KeyValuePair<string, object?>("kind", g.Key));
    }

    /// <summary>A new trace for one media file: a W3C traceparent whose span id is the orchestration span's own.</summary>
    public static string NewTraceParent() => Format(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());

    /// <summary>For runs scheduled without one (older inputs): a trace context derived from the instance id, the same on every replay.</summary>
    public static string TraceParentFor(string instanceId)
    {
        var h = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("plateblur-trace|" + instanceId));
        return Format(ActivityTraceId.CreateFromBytes(h.AsSpan(0, 16)), ActivitySpanId.CreateFromBytes(h.AsSpan(16, 8)));
    }

    private static string Format(ActivityTraceId trace, ActivitySpanId span) => $"00-{trace.ToHexString()}-{span.ToHexString()}-01";

    /// <summary>The orchestration's context as the parent of an activity span; default (a new trace) when absent or malformed.</summary>
    public static ActivityContext Parse(string? traceParent) =>
        traceParent != null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var c) ? c : default;

    /// <summary>Starts an activity's span under the orchestration (null when nothing listens).</summary>
    public static Activity? StartActivitySpan(string activity, string instanceId, string? traceParent)
    {
        var span = Source.StartActivity(activity, ActivityKind.Internal, Parse(traceParent ?? TraceParentFor(instanceId)));
        span?.SetTag("plateblur.instance_id", instanceId);
        span?.SetTag("plateblur.activity", activity);
        return span;
    }

    /// <summary>Emits the orchestration's span once, when the run has ended (never while replaying): it carries the span id of
    /// <paramref name="traceParent"/>, so the activity spans made earlier, in any process, are its children.</summary>
    public static void EmitOrchestrationSpan(string traceParent, MediaJob job, DateTime startedUtc, DateTime endedUtc, MediaOutcome? outcome, string kind)
    {
        string status = outcome?.Status ?? "error";
        Files.Add(1, new KeyValuePair<string, object?>("status", status));
        if (!Source.HasListeners()) return;
        var ctx = Parse(traceParent);
        if (ctx == default) return;
        // A root (no parent, whatever span is current on this thread), then given the trace and span ids the activities were told.
        var previous = Activity.Current;
        Activity.Current = null;
        try { Emit(ctx, job, startedUtc, endedUtc, outcome, kind, status); }
        finally { Activity.Current = previous; }
    }

    private static void Emit(ActivityContext ctx, MediaJob job, DateTime startedUtc, DateTime endedUtc, MediaOutcome? outcome, string kind, string status)
    {
        var span = Source.CreateActivity(AnonymizeMediaOrchestrator.Name, ActivityKind.Internal, default(ActivityContext), idFormat: ActivityIdFormat.W3C);
        if (span == null) return;
        span.SetStartTime(startedUtc);
        span.Start();
        SetIds(span, ctx.TraceId, ctx.SpanId);
        span.SetTag("plateblur.instance_id", job.InstanceId);
        span.SetTag("plateblur.blob", job.BlobName);
        span.SetTag("plateblur.kind", kind);
        span.SetTag("plateblur.status", status);
        if (outcome != null)
        {
            span.SetTag("plateblur.segments", outcome.Segments);
            span.SetTag("plateblur.frames", outcome.Frames);
            span.SetTag("plateblur.masks", outcome.Masks);
            if (outcome.Reason != null) span.SetTag("plateblur.reason", outcome.Reason);
        }
        span.SetStatus(status is "anonymized" or "superseded" ? ActivityStatusCode.Ok : ActivityStatusCode.Error, outcome?.Reason);
        span.SetEndTime(endedUtc);
        span.Stop();
    }

    // System.Diagnostics.Activity has no public way to choose its ids; Durable Task's own tracing sets the span id field the same way.
    // The telemetry test checks that the emitted span has the ids its children name.
    private static readonly FieldInfo? TraceIdField = typeof(Activity).GetField("_traceId", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? SpanIdField = typeof(Activity).GetField("_spanId", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? IdField = typeof(Activity).GetField("_id", BindingFlags.Instance | BindingFlags.NonPublic);

    private static void SetIds(Activity span, ActivityTraceId trace, ActivitySpanId id)
    {
        if (TraceIdField == null || SpanIdField == null || IdField == null) return; // the span keeps its own ids: a separate trace, not a failure
        TraceIdField.SetValue(span, trace.ToHexString());
        SpanIdField.SetValue(span, id.ToHexString());
        IdField.SetValue(span, null); // Id is rebuilt from the trace and span ids when next read
    }
}

/// <summary>An activity input that carries the file's trace context (set by the orchestrator for every call).</summary>
public abstract record Traced
{
    /// <summary>W3C traceparent of the orchestration span of this file's run.</summary>
    public string? TraceParent { get; init; }
}
