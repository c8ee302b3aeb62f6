using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Trigger;

namespace PlateBlur.Functions;

/// <summary>Starts the pipeline: blob-created events for inbox/ (Event Grid source, required on Flex Consumption), and a polling sweep for local runs.</summary>
public sealed class InboxFunctions(InboxStarter starter, InboxSweeper sweeper)
{
    [Function("InboxTrigger")]
    public async Task OnBlobCreated(
        [BlobTrigger(Containers.Inbox + "/{name}", Source = BlobTriggerSource.EventGrid, Connection = PipelineServices.StorageConnection)] BlobClient blob,
        string name, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var props = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value;
        await starter.StartAsync(client, name, props.ETag.ToString(), props.ContentLength, ct);
    }

    /// <summary>Local runs have no Event Grid: this sweep lists inbox/ instead. Disabled in Azure (AzureWebJobs.InboxSweep.Disabled).</summary>
    [Function("InboxSweep")]
    public Task Sweep([TimerTrigger("%PlateBlur:SweepSchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        sweeper.SweepAsync(client, ct);
}
