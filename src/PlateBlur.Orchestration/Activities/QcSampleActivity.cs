using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask;
using PlateBlur.Core.Media;
using PlateBlur.Core.Qc;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 6: re-detects K sampled output frames (seeded by the instance id) at a lower threshold than the pipeline used,
/// writes the contact sheet and the QC section of the report. Any residual plate fails QC.</summary>
[DurableTask(Name)]
public sealed class QcSampleActivity(BlobStore blobs, AnonymizerPool detectors) : PipelineActivity<QcWork, QcOutcome>
{
    public const string Name = "QcSample";

    public override async Task<QcOutcome> ExecuteAsync(QcWork w, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var local = new LocalWork(w.InstanceId, Name);
        string output = local.File(WorkNames.LocalName("result", w.OutputName));
        await blobs.DownloadAsync(Containers.Work, w.ResultBlob, output, ct);
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await blobs.ReadTextAsync(Containers.Work, w.ReportBlob, ct), AnonymizationReport.Json)!;
        var options = detectors.Options;
        using var lease = await detectors.RentAsync(ct);
        var scanner = QcSampler.Scanner(lease.Anonymizer.Scanner, options);
        string sheet = local.File("qc.png");
        var qc = report.Kind == "photo"
            ? QcSampler.CheckPhoto(output, report, scanner, sheet)
            : await QcSampler.CheckVideoAsync(output, report, scanner, options.QcSamples, w.InstanceId, sheet, ct);
        string sheetBlob = WorkNames.ContactSheet(w.InstanceId);
        await blobs.UploadAsync(sheet, Containers.Work, sheetBlob, "image/png", ct);
        report = report with { Qc = qc with { ContactSheet = Path.GetFileName(w.OutputName) + ".qc.png" } };
        await blobs.UploadTextAsync(JsonSerializer.Serialize(report, AnonymizationReport.Json), Containers.Work, w.ReportBlob, ct);
        return new QcOutcome(qc.Passed, qc.Samples, qc.Results.Sum(r => r.Residual.Count), sheetBlob, sw.Elapsed.TotalSeconds);
    }
}
