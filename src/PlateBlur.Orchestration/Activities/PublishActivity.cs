using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Step 7: media, report and contact sheet to outbox/ under the source's relative path, or to quarantine/ when QC failed.
/// Only the run of the newest source version publishes: if inbox/ holds another version, or outbox/ or quarantine/ already holds the output
/// of a newer one, nothing is written and the result says Superseded. Each blob is written with its source version as metadata and a
/// conditional copy (<see cref="BlobStore.PublishVersionedAsync"/>), so an older run can never overwrite a newer run's output.</summary>
[DurableTask(Name)]
public sealed class PublishActivity(BlobStore blobs, ILogger<PublishActivity> log) : PipelineActivity<PublishWork, Published>(log)
{
    public const string Name = "Publish";

    public override async Task<Published> ExecuteAsync(PublishWork w, CancellationToken ct)
    {
        var published = await PublishAsync(w, ct);
        Tag("blob", w.SourceBlob); Tag("container", published.Container); Tag("superseded", published.Superseded);
        if (published.Superseded)
        {
            log.LogWarning("{InstanceId}: {Blob} not published: {Reason}", w.InstanceId, w.SourceBlob, published.SupersededBecause);
            return published;
        }
        long bytes = (await blobs.PropertiesAsync(published.Container, w.OutputName, ct))?.ContentLength ?? 0;
        var container = new KeyValuePair<string, object?>("container", published.Container);
        double? latency = w.SourceModified == default ? null : (DateTimeOffset.UtcNow - w.SourceModified).TotalSeconds;
        if (latency is { } l) PipelineTelemetry.Latency.Record(l, container);
        if (!w.QcPassed) PipelineTelemetry.Quarantined.Add(1, new KeyValuePair<string, object?>("reason", "qc-failed"));
        Tag("bytes", bytes); Tag("latency_seconds", latency);
        log.LogInformation("{InstanceId}: {Blob} published to {Container}/{Output} ({Bytes} bytes, QC {QcVerdict}), {LatencySeconds:F1} s after upload",
            w.InstanceId, w.SourceBlob, published.Container, w.OutputName, bytes, w.QcPassed ? "pass" : "fail", latency);
        return published;
    }

    private async Task<Published> PublishAsync(PublishWork w, CancellationToken ct)
    {
        string container = w.QcPassed ? Containers.Outbox : Containers.Quarantine;
        var version = new SourceVersion(w.SourceETag, w.SourceModified);
        Published Superseded(string why) => new(container, "", "", null, true, why);

        var inbox = await blobs.PropertiesAsync(Containers.Inbox, w.SourceBlob, ct);
        bool current = inbox != null && BlobStore.IsVersion(inbox.ETag, w.SourceETag);
        if (inbox != null && !current)
            return Superseded($"inbox/{w.SourceBlob} now holds a newer version ({inbox.ETag.ToString().Trim('"')}) than this run's ({w.SourceETag.Trim('"')})");
        foreach (var c in new[] { Containers.Outbox, Containers.Quarantine })
            if (await blobs.SupersededAtAsync(c, w.OutputName, version, current, ct))
                return Superseded($"{c}/{w.OutputName} already holds the output of a newer version of the source");

        var files = new List<(string From, string To)> { (w.ResultBlob, w.OutputName), (w.ReportBlob, w.OutputName + ".report.json") };
        if (w.ContactSheetBlob != null) files.Add((w.ContactSheetBlob, w.OutputName + ".qc.png"));
        foreach (var (from, to) in files)
            if (!await blobs.PublishVersionedAsync(Containers.Work, from, container, to, version, current, ct, run: w.InstanceId))
                return Superseded($"{container}/{to} was written by a newer version of the source while this run published");
        if (w.QcPassed) await RemoveQuarantinedAsync(w, ct);
        return new Published(container,
            blobs.UriOf(container, w.OutputName).ToString(),
            blobs.UriOf(container, w.OutputName + ".report.json").ToString(),
            w.ContactSheetBlob != null ? blobs.UriOf(container, w.OutputName + ".qc.png").ToString() : null);
    }

    /// <summary>Once this source version's output is in outbox/ (a reviewer's release), its earlier quarantined output is no longer pending:
    /// quarantine/ copies of the same source version are removed (each only if unchanged since read); other versions' are left alone.</summary>
    private async Task RemoveQuarantinedAsync(PublishWork w, CancellationToken ct)
    {
        foreach (var name in new[] { w.OutputName, w.OutputName + ".report.json", w.OutputName + ".qc.png" })
        {
            var q = await blobs.PropertiesAsync(Containers.Quarantine, name, ct);
            if (q == null || SourceVersion.Of(q.Metadata) is not { } v || !BlobStore.IsVersion(new Azure.ETag(v.ETag), w.SourceETag)) continue;
            if (await blobs.DeleteAsync(Containers.Quarantine, name, q.ETag.ToString(), ct))
                log.LogInformation("{InstanceId}: quarantine/{Name} removed: the same source version is now published to outbox/", w.InstanceId, name);
        }
    }
}
