using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>The photo road: detect, mask and write the photo and its report to work/&lt;id&gt;/result/.</summary>
[DurableTask(Name)]
public sealed class AnonymizePhotoActivity(BlobStore blobs, AnonymizerPool detectors, ILogger<AnonymizePhotoActivity> log) : PipelineActivity<PhotoWork, PhotoOutcome>(log)
{
    public const string Name = "AnonymizePhoto";

    public override async Task<PhotoOutcome> ExecuteAsync(PhotoWork w, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var local = new LocalWork(w.InstanceId, Name);
        string path = await blobs.DownloadSourceAsync(w.SourceBlob, local, ct, w.SourceETag);
        string output = local.File(WorkNames.LocalName("result", w.OutputName));
        try
        {
            var info = await MediaProbe.ProbeAsync(path, ct);
            using var lease = await detectors.RentAsync(ct);
            var edits = w.EditsBlob == null ? null : ResolvedEdits.FromJson(await blobs.ReadTextAsync(Containers.Work, w.EditsBlob, ct));
            var report = await PhotoAnonymizer.RunAsync(info, output, lease.Anonymizer.Scanner, lease.Anonymizer.Model, detectors.Options, overwrite: true, ct,
                resolvedEdits: edits);
            report = ReportBuilder.InPipeline(report, w.SourceBlob, w.OutputName, new PipelineFacts(w.InstanceId, 0, false, 0, 0, 0));
            string resultBlob = WorkNames.Result(w.InstanceId, w.OutputName), reportBlob = WorkNames.Report(w.InstanceId);
            await blobs.UploadAsync(output, Containers.Work, resultBlob, BlobStore.ContentTypeOf(w.OutputName), ct);
            await blobs.UploadTextAsync(JsonSerializer.Serialize(report, AnonymizationReport.Json), Containers.Work, reportBlob, ct);
            long bytes = new FileInfo(output).Length;
            PipelineTelemetry.Frames.Add(1, new KeyValuePair<string, object?>("kind", "photo"));
            PipelineTelemetry.Inferences.Add(report.Counts.Inferences);
            PipelineTelemetry.CountMasks(report.Frames);
            Tag("blob", w.SourceBlob); Tag("frames", 1); Tag("masks", report.Counts.Masks); Tag("bytes", bytes);
            log.LogInformation("{InstanceId}: photo {Blob} {Width}x{Height}: {Masks} masks, {Inferences} inferences, {Bytes} bytes written in {DurationSeconds:F2} s",
                w.InstanceId, w.SourceBlob, report.Input.Width, report.Input.Height, report.Counts.Masks, report.Counts.Inferences, bytes, sw.Elapsed.TotalSeconds);
            return new PhotoOutcome(true, null, resultBlob, reportBlob, report.Counts.Masks, sw.Elapsed.TotalSeconds);
        }
        catch (MediaException e)
        {
            log.LogWarning(e, "{InstanceId}: photo {Blob} failed ({Error}) after {DurationSeconds:F2} s", w.InstanceId, w.SourceBlob, e.Error, sw.Elapsed.TotalSeconds);
            return new PhotoOutcome(false, e.Message, null, null, 0, sw.Elapsed.TotalSeconds);
        }
    }
}
