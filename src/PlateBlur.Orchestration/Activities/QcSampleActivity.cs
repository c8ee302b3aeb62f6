using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Media;
using PlateBlur.Core.Qc;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 6: re-detects K sampled output frames (seeded by the instance id) at a lower threshold than the pipeline used,
/// writes the contact sheet and the QC section of the report. Any residual plate fails QC.</summary>
[DurableTask(Name)]
public sealed class QcSampleActivity(BlobStore blobs, AnonymizerPool detectors, ILogger<QcSampleActivity> log) : PipelineActivity<QcWork, QcOutcome>(log)
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
        int residual = qc.Results.Sum(r => r.Residual.Count);
        string verdict = qc.Passed ? "pass" : "fail";
        PipelineTelemetry.QcVerdicts.Add(1, new KeyValuePair<string, object?>("verdict", verdict));
        Tag("blob", w.OutputName); Tag("qc_verdict", verdict); Tag("qc_samples", qc.Samples); Tag("qc_residual", residual);
        log.Log(qc.Passed ? LogLevel.Information : LogLevel.Warning, "{InstanceId}: QC of {Blob}: {QcVerdict}, {Residual} residual plate(s) in {Samples} sampled frames at threshold {Threshold} in {DurationSeconds:F2} s",
            w.InstanceId, w.OutputName, verdict, residual, qc.Samples, qc.Threshold, sw.Elapsed.TotalSeconds);
        return new QcOutcome(qc.Passed, qc.Samples, residual, sheetBlob, sw.Elapsed.TotalSeconds);
    }
}
