using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PlateBlur.Orchestration;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddPlateBlurPipeline(builder.Configuration);

// Telemetry: PlateBlur's traces (one per media file), metrics and logs to the Application Insights that infra/ provisions
// (infra/main.bicep sets APPLICATIONINSIGHTS_CONNECTION_STRING, and APPLICATIONINSIGHTS_AUTHENTICATION_STRING for the managed identity,
// since the component accepts Entra ID authentication only). Without a connection string nothing is exported.
if (builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } connection)
{
    var credential = PlateBlur.Functions.AppInsightsAuth.Credential(builder.Configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    builder.Services.AddOpenTelemetry()
        .UseFunctionsWorkerDefaults()
        .WithTracing(t => t.AddSource(PipelineTelemetry.Name))
        .WithMetrics(m => m.AddMeter(PipelineTelemetry.Name))
        .UseAzureMonitorExporter(o =>
        {
            o.ConnectionString = connection;
            if (credential != null) o.Credential = credential;
        });
}
// A worker that was killed (a crash, a recycled host) left its private temporary folders: ffmpeg reports that name SAS URLs.
PlateBlur.Core.Media.PrivateTemp.SweepStale(PlateBlur.Core.Media.PrivateTemp.ProcessFiles);
builder.Build().Run();

namespace PlateBlur.Functions
{
    /// <summary>APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("ClientId=…;Authorization=AAD") as a credential for the exporter.</summary>
    public static class AppInsightsAuth
    {
        public static Azure.Core.TokenCredential? Credential(string? authentication)
        {
            if (string.IsNullOrWhiteSpace(authentication)) return null;
            var parts = authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
            if (!parts.TryGetValue("Authorization", out var mode) || !mode.Equals("AAD", StringComparison.OrdinalIgnoreCase)) return null;
            return parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
                ? new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new Azure.Identity.DefaultAzureCredential();
        }
    }
}
