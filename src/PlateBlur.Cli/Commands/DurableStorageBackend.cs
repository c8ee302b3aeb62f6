using PlateBlur.Orchestration;
using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PlateBlur.Cli.Commands;

/// <summary>The durable backend of plateblur serve: Durable Task's Azure Storage provider (queues, tables and blobs of the pipeline's own
/// storage account, Azurite locally) behind the gRPC task hub server of the in-process host package, on a loopback port. Orchestration
/// history lives in storage, so after a restart (or crash) interrupted orchestrations resume from their history: finished activities are
/// not run again, and the one that was running when the process died is delivered again once its queue message becomes visible.</summary>
public sealed class DurableStorageBackend : IHostedService, IAsyncDisposable
{
    private readonly string _connection;
    private readonly string _taskHub;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;

    public DurableStorageBackend(string connection, string taskHub, ILoggerFactory loggers)
    {
        _connection = connection; _taskHub = taskHub; _loggers = loggers;
    }

    /// <summary>The gRPC address the worker and client connect to, known once <see cref="StartAsync"/> has bound its port. The port is the
    /// one the kernel gave the listening socket (port 0): a port chosen first and bound later could be taken in between by another
    /// process or an outgoing connection (under parallel test runs serve then died at start-up).</summary>
    public string Address { get; private set; } = "";

    /// <summary>How long an activity message stays invisible while an activity runs: after a crash, the interrupted activity runs again after this.</summary>
    public static readonly TimeSpan ActivityVisibility = TimeSpan.FromMinutes(1);

    public async Task StartAsync(CancellationToken ct)
    {
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = _taskHub,
            StorageAccountClientProvider = new StorageAccountClientProvider(_connection == ServeCommand.DevelopmentStorage
                ? "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
                : _connection),
            PartitionCount = 1,
            WorkItemQueueVisibilityTimeout = ActivityVisibility,
            LoggerFactory = _loggers,
        };
        var service = new AzureStorageOrchestrationService(settings);
        await service.CreateIfNotExistsAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        _app = builder.Build();
        _app.MapGrpcService<TaskHubGrpcServer>();
        await _app.StartAsync(ct);
        var bound = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        Address = $"http://127.0.0.1:{new Uri(bound).Port}";
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (_app != null) await _app.StopAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app != null) await _app.DisposeAsync();
    }

}
