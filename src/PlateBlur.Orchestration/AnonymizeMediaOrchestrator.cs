using System.Text.Json;
using Microsoft.DurableTask;
using PlateBlur.Core.Media;
using PlateBlur.Orchestration.Activities;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration;

/// <summary>The orchestration for one inbox blob: probe and plan, (split only where keyframes are too sparse), fan out segments that read the
/// source in place, stitch, QC, publish, source policy, notify, clean up.
/// Photos take the short road. Deterministic: all I/O happens in activities.</summary>
[DurableTask(Name)]
public sealed class AnonymizeMediaOrchestrator : TaskOrchestrator<MediaJob, MediaOutcome>
{
    public const string Name = "AnonymizeMedia";

    /// <summary>The status of a run whose source was re-uploaded before it published: the newer version's run owns the output.</summary>
    public const string Superseded = "superseded";

    public override async Task<MediaOutcome> RunAsync(TaskOrchestrationContext context, MediaJob job)
    {
        var run = new Run(context, job);
        MediaOutcome? outcome = null;
        try
        {
            return outcome = await run.ExecuteAsync();
        }
        catch (TaskFailedException e) when (e.FailureDetails.IsCausedBy<SourceSupersededException>())
        {
            // A newer upload of the same name has its own run: this one neither publishes, touches the source nor sends an event.
            return outcome = run.Outcome(Superseded, null, e.FailureDetails.ErrorMessage, "kept");
        }
        catch (TaskFailedException e)
        {
            string reason = $"{e.TaskName} failed: {e.FailureDetails.ErrorMessage}";
            await run.NotifyAsync(EventTypes.AnonymizationFailed, null, null, reason, "kept");
            return outcome = run.Outcome("failed", null, reason, "kept");
        }
        finally
        {
            try
            {
                // Also records the outcome in the ledger (an orchestrator error is recorded as "error"), so no restart runs this version again.
                await run.CallAsync<int>(CleanupActivity.Name, new CleanupWork(job.InstanceId, job.BlobName, job.ETag, outcome?.Status ?? "error", outcome?.Output, outcome?.Reason));
            }
            finally
            {
                // The orchestration's own span, once: this code runs again on every replay, but only the last execution is not replaying.
                if (!context.IsReplaying)
                    PipelineTelemetry.EmitOrchestrationSpan(run.TraceParent, job, run.Started, context.CurrentUtcDateTime, outcome, run.Kind);
            }
        }
    }

    /// <summary>One execution's state: what it has learned so far, and the size of what went through history.</summary>
    private sealed class Run(TaskOrchestrationContext ctx, MediaJob job)
    {
        // A source that changed under the run is final: retrying cannot bring the old version back.
        private readonly TaskOptions _retry = TaskOptions.FromRetryPolicy(new RetryPolicy(Math.Max(1, job.Settings.ActivityAttempts), TimeSpan.FromSeconds(2), 2)
        {
            HandleFailure = f => !f.IsCausedBy<SourceChangedException>(),
        });
        private ProbeOutcome? _probe;
        private int _segments;
        private long _frames, _masks;
        private int _tracks;
        private int _calls;
        private long _bytes;
        private StageSeconds _stages = new(0, 0, 0, 0, 0);

        /// <summary>The file's trace: chosen when the run was scheduled, or derived from the instance id (the same on every replay).</summary>
        public string TraceParent { get; } = job.TraceParent ?? PipelineTelemetry.TraceParentFor(job.InstanceId);

        public string Kind => _probe?.Kind is { Length: > 0 } k ? k : "unknown";

        public async Task<T> CallAsync<T>(string name, object input)
        {
            // Every activity's span is a child of the orchestration's (the input carries its context to whichever worker runs it).
            if (input is Traced { TraceParent: null } traced) input = traced with { TraceParent = TraceParent };
            _calls++;
            _bytes += JsonSerializer.SerializeToUtf8Bytes(input).Length;
            var result = await ctx.CallActivityAsync<T>(name, input, _retry);
            _bytes += JsonSerializer.SerializeToUtf8Bytes(result).Length;
            return result;
        }

        public MediaOutcome Outcome(string status, string? output, string? reason, string policy) =>
            new(status, output, reason, _segments, _frames, _masks, policy, _calls, _bytes, _stages);

        public async Task<MediaOutcome> ExecuteAsync()
        {
            ctx.SetCustomStatus(new { stage = "probe" });
            _probe = await CallAsync<ProbeOutcome>(ProbeActivity.Name, job);
            if (_probe.Superseded) return Outcome(Superseded, null, _probe.Reason, "kept");
            if (!_probe.Accepted)
            {
                await CallAsync<string>(QuarantineActivity.Name, new QuarantineWork(job.InstanceId, job.BlobName, _probe.Reason!, _probe.ReasonCode));
                await NotifyAsync(EventTypes.AnonymizationFailed, null, null, _probe.Reason, "kept");
                return Outcome("rejected", null, _probe.Reason, "kept");
            }
            // A refused edits file fails the run (the source stays in inbox/): publishing without the reviewer's corrections would ignore them.
            if (_probe.EditsError != null) return await FailAsync(_probe.EditsError);
            string outputName = WorkNames.OutputName(job.BlobName, _probe.Kind);
            string resultBlob, reportBlob;
            if (_probe.Kind == "photo")
            {
                ctx.SetCustomStatus(new { stage = "photo" });
                var photo = await CallAsync<PhotoOutcome>(AnonymizePhotoActivity.Name, new PhotoWork(job.InstanceId, job.BlobName, outputName, job.ETag, _probe.EditsBlob));
                if (!photo.Ok) return await FailAsync(photo.Reason!);
                (resultBlob, reportBlob, _frames, _masks) = (photo.ResultBlob!, photo.ReportBlob!, 1, photo.Masks);
            }
            else
            {
                var plan = _probe.Plan ?? throw new InvalidOperationException($"{ProbeActivity.Name} returned no segment plan for a video");
                _segments = plan.Segments.Count;
                // Segments read their own time range of the source in place; only a source whose keyframes are too sparse to cut at is split
                // (re-encoded with forced keyframes) first.
                var split = new SplitOutcome([], [], false, 0);
                if (plan.ForceKeyframes)
                {
                    ctx.SetCustomStatus(new { stage = "split", segments = _segments });
                    split = await CallAsync<SplitOutcome>(SplitActivity.Name, new SplitWork(job, plan));
                }
                var done = await FanOutAsync(plan, split, outputName);
                ctx.SetCustomStatus(new { stage = "stitch", segments = _segments });
                var stitch = await CallAsync<StitchOutcome>(StitchActivity.Name, new StitchWork(job.InstanceId, job.BlobName, outputName, plan, done, split, job.ETag, _probe.EditsBlob));
                _stages = new StageSeconds(split.Seconds, done.Max(d => d.Seconds), done.Sum(d => d.Seconds), stitch.Seconds, 0);
                if (!stitch.Verified) return await FailAsync(stitch.Reason!);
                (resultBlob, reportBlob, _frames, _masks, _tracks) = (stitch.ResultBlob!, stitch.ReportBlob!, stitch.Frames, done.Sum(d => d.Masks), done.Sum(d => d.Tracks));
            }
            ctx.SetCustomStatus(new { stage = "qc" });
            var qc = await CallAsync<QcOutcome>(QcSampleActivity.Name, new QcWork(job.InstanceId, resultBlob, reportBlob, outputName));
            _stages = _stages with { Qc = qc.Seconds };
            var published = await CallAsync<Published>(PublishActivity.Name, new PublishWork(job.InstanceId, job.BlobName, outputName, resultBlob, reportBlob, qc.ContactSheetBlob, qc.Passed,
                job.ETag, _probe.SourceModified));
            if (published.Superseded) return Outcome(Superseded, null, published.SupersededBecause, "kept");
            if (!qc.Passed)
            {
                string reason = $"QC found {qc.Residual} residual plate detection(s) in {qc.Samples} sampled frames; the output is in quarantine and the source was kept";
                await NotifyAsync(EventTypes.QcFailed, published, qc, reason, "kept");
                return Outcome("qc-failed", published.Media, reason, "kept");
            }
            var policy = await CallAsync<SourcePolicyOutcome>(ApplySourcePolicyActivity.Name, new SourcePolicyWork(job.InstanceId, job.BlobName, job.ETag, job.Settings.SourcePolicy));
            await NotifyAsync(job.ReviewedEdits != null ? EventTypes.MediaReviewed : EventTypes.MediaAnonymized, published, qc, null, policy.Applied);
            return Outcome("anonymized", published.Media, null, policy.Applied);
        }

        /// <summary>One ProcessSegment per segment, at most MaxSegmentsInFlight at a time; results come back in segment order.</summary>
        private async Task<List<SegmentOutcome>> FanOutAsync(SegmentPlan plan, SplitOutcome split, string outputName)
        {
            int cap = Math.Max(1, job.Settings.MaxSegmentsInFlight);
            var running = new List<Task<SegmentOutcome>>();
            var finished = new List<SegmentOutcome>();
            var segs = plan.Segments;
            for (int i = 0; i < segs.Count; i++)
            {
                if (running.Count >= cap)
                {
                    var first = await Task.WhenAny(running);
                    running.Remove(first);
                    finished.Add(await first);
                    ctx.SetCustomStatus(new { stage = "segments", done = finished.Count, total = segs.Count });
                }
                bool inPlace = split.SegmentBlobs.Count == 0;
                var work = new SegmentWork(job.InstanceId, job.BlobName, outputName, segs[i], inPlace ? null : split.SegmentBlobs[i],
                    !inPlace && i > 0 ? split.SegmentBlobs[i - 1] : null, !inPlace && i + 1 < segs.Count ? split.SegmentBlobs[i + 1] : null,
                    job.Settings.OverlapFrames, _probe!.Rotation, _probe.EditsBlob, i > 0 ? segs[i - 1] : null, i + 1 < segs.Count ? segs[i + 1] : null, job.ETag);
                running.Add(CallAsync<SegmentOutcome>(ProcessSegmentActivity.Name, work));
            }
            foreach (var t in running) finished.Add(await t);
            return finished.OrderBy(s => s.Index).ToList();
        }

        private async Task<MediaOutcome> FailAsync(string reason)
        {
            await NotifyAsync(EventTypes.AnonymizationFailed, null, null, reason, "kept");
            return Outcome("failed", null, reason, "kept");
        }

        public Task<bool> NotifyAsync(string type, Published? published, QcOutcome? qc, string? reason, string policy)
        {
            var data = new MediaEventData(job.InstanceId, job.BlobName, _probe?.Kind ?? "unknown", published?.Media, published?.Report, published?.ContactSheet,
                _frames, _masks, _tracks, _segments, _probe?.DurationSeconds ?? 0, (ctx.CurrentUtcDateTime - Started).TotalSeconds,
                qc == null ? null : new QcSummary(qc.Passed, qc.Samples, qc.Residual), reason, policy);
            return CallAsync<bool>(NotifyActivity.Name, new Notification(type, $"{Containers.Inbox}/{job.BlobName}", data));
        }

        public DateTime Started { get; } = ctx.CurrentUtcDateTime;
    }
}
