using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using PlateBlur.Core;
using PlateBlur.Core.Models;
using PlateBlur.Core.Redaction;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Events;
using YamlDotNet.RepresentationModel;

namespace PlateBlur.Functions.Tests;

/// <summary>What `azd up` deploys (azure.yaml, Dockerfile, infra/main.bicep compiled to ARM) agrees with what the app reads.</summary>
public class DeploymentTests
{
    /// <summary>Settings only the platform reads (the Functions host, not PlateBlur's code), so they are in Bicep and not in
    /// local.settings.sample.json.</summary>
    private static readonly string[] HostOnly =
    [
        "APPLICATIONINSIGHTS_CONNECTION_STRING",     // the host sends telemetry to Application Insights
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", // ... with the managed identity (the component's local auth is off)
        "AzureWebJobsSecretStorageType",             // host keys come from Container Apps secrets (fixed blobs_extension key)
    ];

    /// <summary>Identity-based connection settings are the connection's name plus one of these suffixes.</summary>
    private static readonly string[] ConnectionSuffixes =
        ["__accountName", "__blobServiceUri", "__queueServiceUri", "__tableServiceUri", "__serviceUri", "__credential", "__clientId"];

    /// <summary>The settings people change, by PlateBlurOptions property, and the main.bicep parameter behind each.</summary>
    private static readonly Dictionary<string, string> Parameters = new()
    {
        ["SegmentSeconds"] = "segmentSeconds",
        ["MaxSegmentsInFlight"] = "maxSegmentsInFlight",
        ["QcSamples"] = "qcSamples",
        ["QcThreshold"] = "qcThreshold",
        ["SourcePolicy"] = "sourcePolicy",
        ["Mode"] = "maskMode",
        ["Model"] = "model",
        ["Threshold"] = "threshold",
        ["MaxInputBytes"] = "maxInputBytes",
    };

    private static Dictionary<string, JsonElement> AppSettings() =>
        Bicep.ModuleParameter("app", "appSettings").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    private static string ConnectionOf(string setting) =>
        ConnectionSuffixes.FirstOrDefault(s => setting.EndsWith(s, StringComparison.Ordinal)) is { } suffix
        && setting[..^suffix.Length] is "AzureWebJobsStorage" or PipelineServices.StorageConnection
            ? setting[..^suffix.Length] : setting;

    [BicepFact]
    public void Bicep_app_settings_are_exactly_the_settings_the_app_reads()
    {
        var actual = new SortedSet<string>(AppSettings().Keys.Select(ConnectionOf), StringComparer.Ordinal);
        var expected = SettingsContractTests.Expected();
        expected.UnionWith(HostOnly);
        Assert.Empty(expected.Except(actual)); // read by the app (or the host) but not set in Azure
        Assert.Empty(actual.Except(expected)); // set in Azure but read by nothing

        // ... and they are what the container gets: its env is built from this one object.
        var container = Bicep.Resource("app", "Microsoft.App/containerApps").GetProperty("properties").GetProperty("template").GetProperty("containers")[0];
        var env = Assert.Single(container.GetProperty("copy").EnumerateArray());
        Assert.Equal("env", env.GetProperty("name").GetString());
        Assert.Equal("[length(items(parameters('appSettings')))]", env.GetProperty("count").GetString());
    }

    [BicepFact]
    public void Bicep_pipeline_settings_have_the_code_defaults()
    {
        var settings = AppSettings();
        var defaults = new PlateBlurOptions();
        foreach (var p in typeof(PlateBlurOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string bicep = Bicep.Resolve(settings[$"PlateBlur__{p.Name}"]);
            string code = Convert.ToString(p.GetValue(defaults), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            Assert.True(string.Equals(bicep, code, StringComparison.OrdinalIgnoreCase), $"PlateBlur__{p.Name}: Bicep '{bicep}', code default '{code}'");
        }
        Assert.Equal(new NotificationOptions().EventSource, Bicep.Resolve(settings["PlateBlur__EventSource"]));
    }

    [BicepFact]
    public void In_Azure_the_sweep_is_off_and_everything_connects_with_the_managed_identity()
    {
        var settings = AppSettings();
        Assert.Equal("true", Bicep.Resolve(settings["AzureWebJobs.InboxSweep.Disabled"]));
        foreach (string connection in new[] { "AzureWebJobsStorage", PipelineServices.StorageConnection })
        {
            Assert.False(settings.ContainsKey(connection), $"{connection} must not be a connection string in Azure");
            Assert.Equal("managedidentity", Bicep.Resolve(settings[$"{connection}__credential"]));
            Assert.Contains("reference('identity').outputs.clientId", settings[$"{connection}__clientId"].GetString());
        }
        // The app's blob client reads blobServiceUri; the blob trigger also keeps its poison queue on this account.
        Assert.Contains("reference('media')", settings["PlateBlurStorage__blobServiceUri"].GetString());
        Assert.Contains("reference('media')", settings["PlateBlurStorage__queueServiceUri"].GetString());
        // CloudEvents go to the provisioned topic with the identity: no key.
        Assert.Equal("", Bicep.Resolve(settings["PlateBlur__EventGridTopicKey"]));
        Assert.Contains("reference('notifications').outputs.endpoint", settings["PlateBlur__EventGridTopicEndpoint"].GetString());
        Assert.Contains("reference('identity').outputs.clientId", settings["PlateBlur__ManagedIdentityClientId"].GetString());
        Assert.Equal("", Bicep.Resolve(settings[ModelStore.MirrorVariable]));
        foreach (var (name, value) in settings)
            Assert.DoesNotMatch("(?i)AccountKey=|SharedAccessSignature=|sig=", value.GetRawText() + name);
    }

    [BicepFact]
    public void Settings_people_change_are_parameters_with_the_code_defaults_in_bicep_and_in_main_parameters_json()
    {
        var settings = AppSettings();
        var defaults = new PlateBlurOptions();
        var parameters = Bicep.Main.GetProperty("parameters");
        using var azdParameters = Repo.ReadJson(Repo.File("infra", "main.parameters.json"));
        foreach (var (property, parameter) in Parameters)
        {
            Assert.Equal(parameter, Bicep.ParameterOf(settings[$"PlateBlur__{property}"]));
            string code = Convert.ToString(typeof(PlateBlurOptions).GetProperty(property)!.GetValue(defaults), System.Globalization.CultureInfo.InvariantCulture)!;
            Assert.Equal(code, Bicep.Scalar(parameters.GetProperty(parameter).GetProperty("defaultValue")), ignoreCase: true);
            // azd: `azd env set PLATEBLUR_...` overrides it; unset, the same default applies.
            string azd = azdParameters.RootElement.GetProperty("parameters").GetProperty(parameter).GetProperty("value").GetString()!;
            var m = Regex.Match(azd, @"^\$\{PLATEBLUR_[A-Z_]+=(.*)\}$");
            Assert.True(m.Success, $"main.parameters.json {parameter}: '{azd}' is not ${{PLATEBLUR_...=default}}");
            Assert.Equal(code, m.Groups[1].Value, ignoreCase: true);
        }

        static string[] Allowed(JsonElement parameters, string name) =>
            parameters.GetProperty(name).GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Equal(["delete", "keep", "move"], Allowed(parameters, "sourcePolicy"));
        Assert.Equal(Enum.GetNames<RedactionMode>(), Allowed(parameters, "maskMode"));
        var plateModels = ModelManifest.Embedded.Models.Where(m => m.Role == "plate").Select(m => m.Name).ToArray();
        Assert.Equal(plateModels.Order(), Allowed(parameters, "model").Order());
    }

    [BicepFact]
    public void Media_account_has_the_pipeline_containers_soft_delete_a_work_cleanup_rule_and_no_keys()
    {
        Assert.Equal("[variables('containers')]", Bicep.ModuleParameter("media", "containers").GetString());
        Assert.Equal(Containers.All, Bicep.Main.GetProperty("variables").GetProperty("containers").EnumerateArray().Select(c => c.GetString()!));
        Assert.DoesNotContain(Bicep.Resolve(Bicep.ModuleParameter("media", "deadLetterContainer")), Containers.All);
        Assert.Equal("1", Bicep.Scalar(Bicep.ModuleParameter("media", "workRetentionDays")));

        foreach (string module in new[] { "media", "hostStorage" })
        {
            var account = Bicep.Resource(module, "Microsoft.Storage/storageAccounts").GetProperty("properties");
            Assert.False(account.GetProperty("allowSharedKeyAccess").GetBoolean());
            Assert.False(account.GetProperty("allowBlobPublicAccess").GetBoolean());
            Assert.Equal("TLS1_2", account.GetProperty("minimumTlsVersion").GetString());
        }
        var blobService = Bicep.Resource("media", "Microsoft.Storage/storageAccounts/blobServices").GetProperty("properties");
        Assert.True(blobService.GetProperty("deleteRetentionPolicy").GetProperty("enabled").GetBoolean());
        var rules = Bicep.Resource("media", "Microsoft.Storage/storageAccounts/managementPolicies")
            .GetProperty("properties").GetProperty("policy").GetProperty("rules").EnumerateArray().ToList();
        var work = Assert.Single(rules, r => r.GetProperty("definition").GetProperty("filters").GetProperty("prefixMatch")[0].GetString() == $"{Containers.Work}/");
        Assert.Equal("[parameters('workRetentionDays')]",
            work.GetProperty("definition").GetProperty("actions").GetProperty("baseBlob").GetProperty("delete").GetProperty("daysAfterModificationGreaterThan").GetString());

    }

    [BicepFact]
    public void Scale_rules_watch_the_task_hub_of_host_json()
    {
        using var host = Repo.ReadJson(Repo.File("host.json"));
        var durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");
        var variables = Bicep.Main.GetProperty("variables");
        Assert.Equal(durable.GetProperty("hubName").GetString(), variables.GetProperty("taskHubName").GetString());
        Assert.Equal(durable.GetProperty("storageProvider").GetProperty("partitionCount").GetInt32(), variables.GetProperty("partitionCount").GetInt32());
        Assert.Equal("[variables('taskHubName')]", Bicep.ModuleParameter("app", "taskHubName").GetString());
        Assert.Equal("[variables('partitionCount')]", Bicep.ModuleParameter("app", "partitionCount").GetString());
        // One activity per replica is what makes "one replica per work item" the right scale rule.
        Assert.Equal(1, durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
    }

    [Fact]
    public void Azure_yaml_service_points_at_the_functions_project_and_the_dockerfile()
    {
        var root = LoadYaml(Repo.File("azure.yaml"));
        var services = (YamlMappingNode)root["services"];
        var (name, node) = Assert.Single(services.Children);
        var service = (YamlMappingNode)node;
        Assert.Equal("containerapp", Scalar(service, "host"));

        string project = Path.GetFullPath(Path.Combine(Repo.Root, Scalar(service, "project")));
        Assert.True(Directory.Exists(project), $"azure.yaml project {project} does not exist");
        Assert.Equal("PlateBlur.Functions.csproj", Path.GetFileName(Assert.Single(Directory.GetFiles(project, "*.csproj"))));

        var docker = (YamlMappingNode)service["docker"];
        string dockerfile = Path.GetFullPath(Path.Combine(project, Scalar(docker, "path")));
        string context = Path.GetFullPath(Path.Combine(project, Scalar(docker, "context")));
        Assert.True(File.Exists(dockerfile), $"azure.yaml docker.path {dockerfile} does not exist");
        Assert.Equal(Path.TrimEndingDirectorySeparator(Repo.Root), Path.TrimEndingDirectorySeparator(context));

        // The Dockerfile (context: the repository root) publishes that very project.
        string relative = Path.GetRelativePath(context, Path.Combine(project, "PlateBlur.Functions.csproj")).Replace('\\', '/');
        Assert.Contains($"dotnet publish {relative}", File.ReadAllText(dockerfile));

        var infra = (YamlMappingNode)root["infra"];
        Assert.True(File.Exists(Repo.File(Scalar(infra, "path"), Scalar(infra, "module") + ".bicep")));

        // azd hands the deployed image back to Bicep through SERVICE_<NAME>_IMAGE_NAME.
        using var azdParameters = Repo.ReadJson(Repo.File("infra", "main.parameters.json"));
        Assert.Equal($"${{SERVICE_{name.ToString().ToUpperInvariant()}_IMAGE_NAME=}}",
            azdParameters.RootElement.GetProperty("parameters").GetProperty("appImage").GetProperty("value").GetString());
    }

    [BicepFact]
    public void Azure_yaml_service_is_the_tagged_container_app_at_the_api_version_azd_deploys_with()
    {
        var (key, node) = ((YamlMappingNode)LoadYaml(Repo.File("azure.yaml"))["services"]).Children.Single();
        var service = (YamlMappingNode)node;
        string name = key.ToString();
        Assert.Equal(name, Bicep.Resolve(Bicep.ModuleParameter("app", "serviceName")));
        var app = Bicep.Resource("app", "Microsoft.App/containerApps");
        Assert.Equal("functionapp", app.GetProperty("kind").GetString());
        Assert.Equal(Scalar(service, "apiVersion"), app.GetProperty("apiVersion").GetString());
        Assert.Contains("'azd-service-name'", app.GetProperty("tags").GetString());
    }

    [BicepFact]
    public void The_app_looks_for_the_models_where_the_image_puts_them()
    {
        string dir = Bicep.Resolve(AppSettings()[ModelStore.CacheVariable]);
        string dockerfile = File.ReadAllText(Repo.File("Dockerfile"));
        Assert.Contains($"{ModelStore.CacheVariable}={dir}", dockerfile);
        Assert.Matches($@"COPY --from=build \S+ {Regex.Escape(dir)}\n", dockerfile);
        // Every model the image fetches is in the manifest, the selectable ones included.
        var fetched = Regex.Match(dockerfile, @"models fetch ([a-z0-9\- ]+)").Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ModelManifest.Embedded.Models.Select(m => m.Name).Order(), fetched.Order());
    }

    private static YamlMappingNode LoadYaml(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(path));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value! : throw new KeyNotFoundException($"azure.yaml: no '{key}'");
}
