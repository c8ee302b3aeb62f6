using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PlateBlur.Orchestration.Tests;


/// <summary>The real orchestrator and activities on the in-process Durable Task host, against Azurite and the loopback event sink.</summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    private PipelineHarness(DurableTaskTestHost host, EventSink sink, BlobStore blobs, string prefix)
    {
        Host = host; Sink = sink; Blobs = blobs; Prefix = prefix;
    }

    public DurableTaskTestHost Host { get; }
    public EventSink Sink { get; }
    public BlobStore Blobs { get; }
    /// <summary>A folder of its own inside each container, so tests never see each other's blobs.</summary>
    public string Prefix { get; }
    public DurableTaskClient Client => Host.Client;
    public InboxStarter Starter => Host.Services.GetRequiredService<InboxStarter>();

    public static async Task<PipelineHarness> StartAsync(Dictionary<string, string?>? settings = null, Action<DurableTaskRegistry>? replace = null, string[]? except = null,
        Action<IServiceCollection>? services = null)
    {
        var sink = new EventSink();
        var values = new Dictionary<string, string?>
        {
            ["PlateBlurStorage"] = TestEnv.Storage ?? throw new InvalidOperationException("PLATEBLUR_STORAGE (Azurite) is not set."),
            ["PlateBlur:EventGridTopicEndpoint"] = sink.Endpoint,
            ["PlateBlur:EventGridTopicKey"] = "test-key",
            ["PlateBlur:Threads"] = "2",
            ["PlateBlur:Preset"] = "veryfast",
        };
        foreach (var kv in settings ?? []) values[kv.Key] = kv.Value;
        var config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var blobService = new BlobServiceClient(values["PlateBlurStorage"]);
        var host = await DurableTaskTestHost.StartAsync(registry =>
        {
            registry.AddPlateBlurTasks(except ?? []);
            replace?.Invoke(registry);
        }, new DurableTaskTestHostOptions
        {
            LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)),
            ConfigureServices = s =>
            {
                s.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
                s.AddPlateBlurPipeline(config, blobService);
                s.AddSingleton(_ => new Core.Models.ModelStore(TestEnv.Models.CacheDir, TestEnv.Models.MirrorDir));
                services?.Invoke(s);
            },
        });
        var blobs = new BlobStore(blobService);
        await blobs.EnsureContainersAsync();
        return new PipelineHarness(host, sink, blobs, $"t{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
    }

    /// <summary>Uploads a local file to inbox/PREFIX/NAME and returns the blob name and ETag.</summary>
    public async Task<(string Name, string ETag, long Size)> UploadAsync(string localPath, string name)
    {
        string blob = $"{Prefix}/{name}";
        await Blobs.UploadAsync(localPath, Containers.Inbox, blob);
        var p = (await Blobs.PropertiesAsync(Containers.Inbox, blob))!;
        return (blob, p.ETag.ToString(), p.ContentLength);
    }

    public async Task<OrchestrationMetadata> RunAsync(string blob, string etag, long size, TimeSpan? timeout = null)
    {
        var (id, _) = await Starter.StartAsync(Client, blob, etag, size);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        return await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
    }

    public async Task<List<string>> ListAsync(string container, string? prefix = null)
    {
        var names = new List<string>();
        await foreach (var b in Blobs.ListAsync(container, prefix ?? Prefix)) names.Add(b.Name);
        return names;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Sink.Dispose();
    }
}
