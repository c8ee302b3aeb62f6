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
    public Task<ProbeOutcome> Probe([ActivityTrigger] MediaJob input, FunctionContext context, CancellationToken ct) => Run<ProbeActivity, MediaJob, ProbeOutcome>(input, context, ct);

    [Function(SplitActivity.Name)]
    public Task<SplitOutcome> Split([ActivityTrigger] SplitWork input, FunctionContext context, CancellationToken ct) => Run<SplitActivity, SplitWork, SplitOutcome>(input, context, ct);

    [Function(ProcessSegmentActivity.Name)]
    public Task<SegmentOutcome> ProcessSegment([ActivityTrigger] SegmentWork input, FunctionContext context, CancellationToken ct) => Run<ProcessSegmentActivity, SegmentWork, SegmentOutcome>(input, context, ct);

    [Function(StitchActivity.Name)]
    public Task<StitchOutcome> Stitch([ActivityTrigger] StitchWork input, FunctionContext context, CancellationToken ct) => Run<StitchActivity, StitchWork, StitchOutcome>(input, context, ct);

    [Function(AnonymizePhotoActivity.Name)]
    public Task<PhotoOutcome> AnonymizePhoto([ActivityTrigger] PhotoWork input, FunctionContext context, CancellationToken ct) => Run<AnonymizePhotoActivity, PhotoWork, PhotoOutcome>(input, context, ct);

    [Function(QcSampleActivity.Name)]
    public Task<QcOutcome> QcSample([ActivityTrigger] QcWork input, FunctionContext context, CancellationToken ct) => Run<QcSampleActivity, QcWork, QcOutcome>(input, context, ct);

    [Function(PublishActivity.Name)]
    public Task<Published> Publish([ActivityTrigger] PublishWork input, FunctionContext context, CancellationToken ct) => Run<PublishActivity, PublishWork, Published>(input, context, ct);

    [Function(QuarantineActivity.Name)]
    public Task<string> Quarantine([ActivityTrigger] QuarantineWork input, FunctionContext context, CancellationToken ct) => Run<QuarantineActivity, QuarantineWork, string>(input, context, ct);

    [Function(ApplySourcePolicyActivity.Name)]
    public Task<SourcePolicyOutcome> ApplySourcePolicy([ActivityTrigger] SourcePolicyWork input, FunctionContext context, CancellationToken ct) => Run<ApplySourcePolicyActivity, SourcePolicyWork, SourcePolicyOutcome>(input, context, ct);

    [Function(NotifyActivity.Name)]
    public Task<bool> Notify([ActivityTrigger] Notification input, FunctionContext context, CancellationToken ct) => Run<NotifyActivity, Notification, bool>(input, context, ct);

    [Function(CleanupActivity.Name)]
    public Task<int> Cleanup([ActivityTrigger] CleanupWork input, FunctionContext context, CancellationToken ct) => Run<CleanupActivity, CleanupWork, int>(input, context, ct);

    /// <summary>Runs the activity as the Durable Task worker does (its span under the file's trace, its logging scope), with the instance id
    /// from the trigger's binding data.</summary>
    private Task<TOut> Run<TActivity, TIn, TOut>(TIn input, FunctionContext context, CancellationToken ct) where TActivity : PipelineActivity<TIn, TOut> =>
        services.GetRequiredService<TActivity>().RunTracedAsync(
            context.BindingContext.BindingData.TryGetValue("instanceId", out var id) && id != null ? id.ToString()! : context.InvocationId, input, ct);
}
