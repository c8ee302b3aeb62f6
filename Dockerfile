# The PlateBlur Functions app as one image for Azure Functions on Azure Container Apps (azure.yaml, infra/README.md):
# the Functions host with the .NET 10 isolated worker, ffmpeg from the distribution, and the models, fetched and
# sha256-checked at build time so replicas start without downloading anything.
# Build context: the repository root.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the project files and central package versions only, so code changes reuse this layer.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/PlateBlur.Core/PlateBlur.Core.csproj src/PlateBlur.Core/
COPY src/PlateBlur.Evaluation/PlateBlur.Evaluation.csproj src/PlateBlur.Evaluation/
COPY src/PlateBlur.Orchestration/PlateBlur.Orchestration.csproj src/PlateBlur.Orchestration/
COPY src/PlateBlur.Functions/PlateBlur.Functions.csproj src/PlateBlur.Functions/
COPY src/PlateBlur.Cli/PlateBlur.Cli.csproj src/PlateBlur.Cli/
RUN dotnet restore src/PlateBlur.Functions/PlateBlur.Functions.csproj \
 && dotnet restore src/PlateBlur.Cli/PlateBlur.Cli.csproj

COPY host.json local.settings.sample.json ./
COPY models/manifest.json models/*.onnx models/
COPY src/ src/
RUN dotnet publish src/PlateBlur.Functions/PlateBlur.Functions.csproj -c Release -o /out/app \
 && dotnet publish src/PlateBlur.Cli/PlateBlur.Cli.csproj -c Release -o /out/cli

# The models from models/manifest.json (public URLs, each checked against its sha256; a mismatch fails the build;
# PlateBlur's own model comes from the repository with the app and is checked in place).
# The same folder is PLATEBLUR_MODELS_DIR in the app settings (infra/main.bicep).
RUN PLATEBLUR_MODELS_DIR=/out/models dotnet /out/cli/plateblur.dll models fetch plateblur-plate-800 hyperlpr3-640 hyperlpr3-320 yolox-nano


FROM mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0

# ffmpeg and ffprobe on PATH, where the app looks for them.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && ffmpeg -hide_banner -version | head -n 1

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    PLATEBLUR_MODELS_DIR=/opt/plateblur/models

COPY --from=build /out/models /opt/plateblur/models
COPY --from=build /out/app /home/site/wwwroot
