using System.Reflection;
using System.Text.Json;
using Microsoft.DurableTask;
using PlateBlur.Orchestration;

namespace PlateBlur.Functions.Tests;

/// <summary>The Functions app as the host will see it: the generated functions.metadata of the build.</summary>
public class FunctionsMetadataTests
{
    private static readonly Dictionary<string, JsonElement> Functions = Load();

    private static Dictionary<string, JsonElement> Load()
    {
        string path = Repo.File("src", "PlateBlur.Functions", "bin", Repo.Configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: the Functions project must build before these tests");
        using var doc = Repo.ReadJson(path);
        return doc.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.Clone());
    }

    private static List<JsonElement> Bindings(string function) => Functions[function].GetProperty("bindings").EnumerateArray().ToList();

    [Fact]
    public void Inbox_trigger_is_a_blob_trigger_on_inbox_with_the_event_grid_source_and_a_durable_client()
    {
        var b = Bindings("InboxTrigger");
        var trigger = Assert.Single(b, x => x.GetProperty("type").GetString() == "blobTrigger");
        Assert.Equal("inbox/{name}", trigger.GetProperty("path").GetString());
        Assert.Equal("EventGrid", trigger.GetProperty("source").GetString());
        Assert.Equal(PipelineServices.StorageConnection, trigger.GetProperty("connection").GetString());
        Assert.Single(b, x => x.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void The_local_sweep_is_a_timer_with_a_configurable_schedule()
    {
        var timer = Assert.Single(Bindings("InboxSweep"), x => x.GetProperty("type").GetString() == "timerTrigger");
        Assert.Equal("%PlateBlur:SweepSchedule%", timer.GetProperty("schedule").GetString());
    }

    [Fact]
    public void The_orchestrator_and_every_activity_are_there_with_their_triggers()
    {
        Assert.Equal("orchestrationTrigger", Assert.Single(Bindings(AnonymizeMediaOrchestrator.Name)).GetProperty("type").GetString());
        foreach (var type in PipelineServices.ActivityTypes)
        {
            string name = type.GetCustomAttribute<DurableTaskAttribute>()!.Name.Name;
            Assert.True(Functions.ContainsKey(name), $"activity {name} has no function");
            Assert.Equal("activityTrigger", Assert.Single(Bindings(name)).GetProperty("type").GetString());
        }
        // Nothing else: two triggers, one orchestrator, the activities.
        Assert.Equal(PipelineServices.ActivityTypes.Length + 3, Functions.Count);
    }

    [Fact]
    public void Host_json_configures_the_durable_backend_and_one_segment_per_instance()
    {
        using var host = Repo.ReadJson(Repo.File("host.json"));
        var durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal("AzureStorage", durable.GetProperty("storageProvider").GetProperty("type").GetString());
        Assert.Equal(1, durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
        Assert.Equal("2.0", host.RootElement.GetProperty("version").GetString());
    }
}
