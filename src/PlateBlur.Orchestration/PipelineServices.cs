using Azure.Storage.Blobs;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlateBlur.Core;
using PlateBlur.Core.Models;
using PlateBlur.Orchestration.Activities;
using PlateBlur.Orchestration.Events;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;

namespace PlateBlur.Orchestration;

/// <summary>Wires the pipeline the same way for the Functions host, plateblur serve and the tests.</summary>
public static class PipelineServices
{
    /// <summary>The connection name of the pipeline's storage account (connection string, or PlateBlurStorage__blobServiceUri with a managed identity).</summary>
    public const string StorageConnection = "PlateBlurStorage";

    /// <summary>Registers options (section "PlateBlur"), blob store, detector pool, event publisher, starter and every activity.</summary>
    public static IServiceCollection AddPlateBlurPipeline(this IServiceCollection services, IConfiguration configuration, BlobServiceClient? blobService = null)
    {
        var section = configuration.GetSection(PlateBlurOptions.Section);
        var options = section.Get<PlateBlurOptions>() ?? new PlateBlurOptions();
        options.ScanOptions(); options.TrackingOptions(); options.RedactionOptions();
        if (options.SourcePolicy is not ("delete" or "keep" or "move"))
            throw new InvalidOperationException($"PlateBlur__SourcePolicy must be delete, keep or move (got '{options.SourcePolicy}').");
        services.AddSingleton(options);
        services.AddSingleton(section.Get<NotificationOptions>() ?? new NotificationOptions());
        var main = blobService ?? CreateBlobService(configuration);
        services.AddSingleton(main);
        // A client without retries steps past listing pages storage cannot return (BlobStore.ListResilientAsync).
        BlobServiceClient? probe = null;
        try { probe = CreateBlobService(configuration, retries: false); } catch (InvalidOperationException) { }
        services.AddSingleton(_ => new BlobStore(main, probe));
        services.AddSingleton<JobLedger>();
        services.AddSingleton(sp => new InstanceLocks(sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<JobLedger>(), sp.GetRequiredService<ILogger<InstanceLocks>>()));
        services.AddSingleton(_ => ModelStore.FromEnvironment());
        services.AddSingleton<AnonymizerPool>();
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<InboxStarter>();
        services.AddSingleton<InboxSweeper>();
        foreach (var activity in ActivityTypes) services.AddTransient(activity);
        return services;
    }

    /// <summary>A free TCP port on 127.0.0.1 for a listener that binds it a moment later (Azurite, the tests' event listener).</summary>
    /// <remarks>Taken below the ephemeral ranges that outgoing connections draw their source ports from (Linux 32768–60999, Windows
    /// 49152–65535): a port found free there and bound later, or bound again after a restart, is not taken in between by a connection.</remarks>
    public static int FreeLoopbackPort()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int candidate = Random.Shared.Next(20000, 32700);
            try
            {
                var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, candidate);
                probe.Start();
                probe.Stop();
                return candidate;
            }
            catch (System.Net.Sockets.SocketException) { }
        }
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static readonly Type[] ActivityTypes =
    [
        typeof(ProbeActivity), typeof(SplitActivity), typeof(ProcessSegmentActivity), typeof(StitchActivity),
        typeof(AnonymizePhotoActivity), typeof(QcSampleActivity), typeof(PublishActivity), typeof(QuarantineActivity),
        typeof(ApplySourcePolicyActivity), typeof(NotifyActivity), typeof(CleanupActivity),
    ];

    /// <summary>Adds the orchestrator and the activities to a Durable Task registry (names from their [DurableTask] attributes),
    /// except the activity names in <paramref name="except"/> (tests put instrumented activities in their place).</summary>
    public static DurableTaskRegistry AddPlateBlurTasks(this DurableTaskRegistry registry, params string[] except)
    {
        registry.AddOrchestrator<AnonymizeMediaOrchestrator>();
        foreach (var type in ActivityTypes)
        {
            string name = type.GetCustomAttributes(typeof(DurableTaskAttribute), false).Cast<DurableTaskAttribute>().Single().Name.Name;
            if (!except.Contains(name)) registry.AddActivity(name, type);
        }
        return registry;
    }

    /// <summary>A blob client from PlateBlurStorage: a connection string, or a section with blobServiceUri (managed identity).</summary>
    public static BlobServiceClient CreateBlobService(IConfiguration configuration, bool retries = true)
    {
        var options = new BlobClientOptions();
        if (!retries) { options.Retry.MaxRetries = 0; options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30); }
        string? connection = configuration[StorageConnection];
        if (!string.IsNullOrWhiteSpace(connection)) return new BlobServiceClient(connection, options);
        var section = configuration.GetSection(StorageConnection);
        if (section["blobServiceUri"] is { Length: > 0 } uri)
        {
            Azure.Core.TokenCredential credential = section["clientId"] is { Length: > 0 } clientId
                ? new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new Azure.Identity.DefaultAzureCredential();
            return new BlobServiceClient(new Uri(uri), credential, options);
        }
        throw new InvalidOperationException($"Storage is not configured: set {StorageConnection} (connection string) or {StorageConnection}__blobServiceUri.");
    }
}
