using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using PlateBlur.Core;

namespace PlateBlur.Orchestration.Trigger;

/// <summary>Starts one orchestration per inbox blob version: the instance id comes from the blob path and ETag, so a repeated
/// notification finds the existing instance and starts nothing, while a re-upload (new ETag) starts a new run.</summary>
public sealed class InboxStarter(PlateBlurOptions options, ILogger<InboxStarter> log)
{
    public static string InstanceIdFor(string blobName, string etag)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Containers.Inbox}/{blobName}|{etag.Trim('"')}"));
        return "pb-" + Convert.ToHexStringLower(hash)[..32];
    }

    public PipelineSettings Settings => new(options.SegmentSeconds, options.SegmentOverlapFrames, options.MaxSegmentsInFlight, options.SourcePolicy);

    /// <summary>Schedules the orchestration unless this blob version already has one; returns the instance id and whether it started now.</summary>
    public async Task<(string InstanceId, bool Started)> StartAsync(DurableTaskClient client, string blobName, string etag, long size, CancellationToken ct = default)
    {
        string id = InstanceIdFor(blobName, etag);
        if (await client.GetInstanceAsync(id, ct) != null)
        {
            log.LogInformation("{Blob} ({ETag}) already has orchestration {Id}; duplicate notification ignored", blobName, etag, id);
            return (id, false);
        }
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(AnonymizeMediaOrchestrator.Name, new MediaJob(id, blobName, etag.Trim('"'), size, Settings),
                new StartOrchestrationOptions(id), ct);
        }
        catch (Exception e) when (e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase) || e.GetType().Name.Contains("AlreadyExists"))
        {
            log.LogInformation("{Blob}: orchestration {Id} was started by a concurrent notification", blobName, id);
            return (id, false);
        }
        log.LogInformation("Started {Id} for {Blob} ({Size:N0} bytes)", id, blobName, size);
        return (id, true);
    }
}
