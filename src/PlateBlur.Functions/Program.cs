using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PlateBlur.Orchestration;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddPlateBlurPipeline(builder.Configuration);
builder.Build().Run();
