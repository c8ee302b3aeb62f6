using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using PlateBlur.Core.Media;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Activities;

public sealed record SplitWork(MediaJob Job, SegmentPlan Plan) : Traced;

/// <summary>Step 3: cuts the video into work/&lt;id&gt;/split/ (stream copy at keyframes; re-encoded with forced keyframes when they are too sparse).</summary>
[DurableTask(Name)]
public sealed class SplitActivity(BlobStore blobs, ILogger<SplitActivity> log) : PipelineActivity<SplitWork, SplitOutcome>(log)
{
    public const string Name = "Split";

    public override async Task<SplitOutcome> ExecuteAsync(SplitWork work, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        string id = work.Job.InstanceId;
        using var local = new LocalWork(id, Name);
        string path = await blobs.DownloadSourceAsync(work.Job.BlobName, local, ct, work.Job.ETag);
        var info = await MediaProbe.ProbeAsync(path, ct);
        var (files, reEncoded) = await Splitter.SplitAsync(path, info.RequireVideo(), work.Plan, local.File("split"), ct);
        var names = new List<string>();
        for (int i = 0; i < files.Count; i++)
        {
            names.Add(WorkNames.SplitSegment(id, i));
            await blobs.UploadAsync(files[i], Containers.Work, names[^1], "video/x-nut", ct);
        }
        long bytes = files.Sum(f => new FileInfo(f).Length);
        Tag("blob", work.Job.BlobName); Tag("segments", files.Count); Tag("bytes", bytes); Tag("re_encoded", reEncoded);
        log.LogInformation("{InstanceId}: {Blob} split into {Segments} segments ({Bytes} bytes, {Mode}) in {DurationSeconds:F2} s",
            id, work.Job.BlobName, files.Count, bytes, reEncoded ? "re-encoded with forced keyframes" : "stream copy", sw.Elapsed.TotalSeconds);
        return new SplitOutcome(names, work.Plan.Segments.Select(s => s.EndFrame - s.FirstFrame).ToList(), reEncoded, sw.Elapsed.TotalSeconds);
    }
}
