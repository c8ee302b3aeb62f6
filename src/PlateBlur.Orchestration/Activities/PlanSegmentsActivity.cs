using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Media;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

public sealed record PlanWork(MediaJob Job, double TargetSeconds) : Traced;

/// <summary>Step 2: plans segments of about the target length at keyframes (or with keyframes to be forced when they are too sparse).</summary>
[DurableTask(Name)]
public sealed class PlanSegmentsActivity(BlobStore blobs, ILogger<PlanSegmentsActivity> log) : PipelineActivity<PlanWork, SegmentPlan>(log)
{
    public const string Name = "PlanSegments";

    public override async Task<SegmentPlan> ExecuteAsync(PlanWork work, CancellationToken ct)
    {
        using var local = new LocalWork(work.Job.InstanceId, Name);
        string path = await blobs.DownloadSourceAsync(work.Job.BlobName, local, ct, work.Job.ETag);
        var info = await MediaProbe.ProbeAsync(path, ct);
        var timeline = await FrameTimeline.ScanAsync(path, info.RequireVideo(), ct);
        var plan = SegmentPlanner.Plan(timeline, work.TargetSeconds);
        Tag("blob", work.Job.BlobName); Tag("frames", timeline.FrameCount); Tag("segments", plan.Segments.Count);
        log.LogInformation("{InstanceId}: {Blob} planned as {Segments} segments of {Frames} frames", work.Job.InstanceId, work.Job.BlobName, plan.Segments.Count, timeline.FrameCount);
        return plan;
    }
}
