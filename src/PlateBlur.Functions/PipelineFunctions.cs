using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Activities;

namespace PlateBlur.Functions;

/// <summary>Thin wrappers: the orchestrator and each activity of PlateBlur.Orchestration under the Functions host.</summary>
public sealed class PipelineFunctions(IServiceProvider services)
{
    [Function(AnonymizeMediaOrchestrator.Name)]
    public static Task<MediaOutcome> AnonymizeMedia([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new AnonymizeMediaOrchestrator().RunAsync(context, context.GetInput<MediaJob>()!);

    [Function(ProbeActivity.Name)]
    public Task<ProbeOutcome> Probe([ActivityTrigger] MediaJob input, CancellationToken ct) => Run<ProbeActivity, MediaJob, ProbeOutcome>(input, ct);

    [Function(PlanSegmentsActivity.Name)]
    public Task<Core.Media.SegmentPlan> PlanSegments([ActivityTrigger] PlanWork input, CancellationToken ct) => Run<PlanSegmentsActivity, PlanWork, Core.Media.SegmentPlan>(input, ct);

    [Function(SplitActivity.Name)]
    public Task<SplitOutcome> Split([ActivityTrigger] SplitWork input, CancellationToken ct) => Run<SplitActivity, SplitWork, SplitOutcome>(input, ct);

    [Function(ProcessSegmentActivity.Name)]
    public Task<SegmentOutcome> ProcessSegment([ActivityTrigger] SegmentWork input, CancellationToken ct) => Run<ProcessSegmentActivity, SegmentWork, SegmentOutcome>(input, ct);

    [Function(StitchActivity.Name)]
    public Task<StitchOutcome> Stitch([ActivityTrigger] StitchWork input, CancellationToken ct) => Run<StitchActivity, StitchWork, StitchOutcome>(input, ct);

    [Function(AnonymizePhotoActivity.Name)]
    public Task<PhotoOutcome> AnonymizePhoto([ActivityTrigger] PhotoWork input, CancellationToken ct) => Run<AnonymizePhotoActivity, PhotoWork, PhotoOutcome>(input, ct);

    [Function(QcSampleActivity.Name)]
    public Task<QcOutcome> QcSample([ActivityTrigger] QcWork input, CancellationToken ct) => Run<QcSampleActivity, QcWork, QcOutcome>(input, ct);

    [Function(PublishActivity.Name)]
    public Task<Published> Publish([ActivityTrigger] PublishWork input, CancellationToken ct) => Run<PublishActivity, PublishWork, Published>(input, ct);

    [Function(QuarantineActivity.Name)]
    public Task<string> Quarantine([ActivityTrigger] QuarantineWork input, CancellationToken ct) => Run<QuarantineActivity, QuarantineWork, string>(input, ct);

    [Function(ApplySourcePolicyActivity.Name)]
    public Task<SourcePolicyOutcome> ApplySourcePolicy([ActivityTrigger] SourcePolicyWork input, CancellationToken ct) => Run<ApplySourcePolicyActivity, SourcePolicyWork, SourcePolicyOutcome>(input, ct);

    [Function(NotifyActivity.Name)]
    public Task<bool> Notify([ActivityTrigger] Notification input, CancellationToken ct) => Run<NotifyActivity, Notification, bool>(input, ct);

    [Function(CleanupActivity.Name)]
    public Task<int> Cleanup([ActivityTrigger] CleanupWork input, CancellationToken ct) => Run<CleanupActivity, CleanupWork, int>(input, ct);

    private Task<TOut> Run<TActivity, TIn, TOut>(TIn input, CancellationToken ct) where TActivity : PipelineActivity<TIn, TOut> =>
        services.GetRequiredService<TActivity>().ExecuteAsync(input, ct);
}
