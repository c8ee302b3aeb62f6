using Microsoft.DurableTask;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 7: media, report and contact sheet to outbox/ under the source's relative path, or to quarantine/ when QC failed.</summary>
[DurableTask(Name)]
public sealed class PublishActivity(BlobStore blobs) : PipelineActivity<PublishWork, Published>
{
    public const string Name = "Publish";

    public override async Task<Published> ExecuteAsync(PublishWork w, CancellationToken ct)
    {
        string container = w.QcPassed ? Containers.Outbox : Containers.Quarantine;
        await blobs.CopyAsync(Containers.Work, w.ResultBlob, container, w.OutputName, ct);
        await blobs.CopyAsync(Containers.Work, w.ReportBlob, container, w.OutputName + ".report.json", ct);
        if (w.ContactSheetBlob != null) await blobs.CopyAsync(Containers.Work, w.ContactSheetBlob, container, w.OutputName + ".qc.png", ct);
        return new Published(container,
            blobs.UriOf(container, w.OutputName).ToString(),
            blobs.UriOf(container, w.OutputName + ".report.json").ToString(),
            w.ContactSheetBlob != null ? blobs.UriOf(container, w.OutputName + ".qc.png").ToString() : null);
    }
}
