using System.Reflection;
using PlateBlur.Core;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Events;

namespace PlateBlur.Functions.Tests;

/// <summary>Every setting the app reads is in local.settings.sample.json (and the infra templates), under the same name, and nothing else is.</summary>
public class SettingsContractTests
{
    /// <summary>Settings the code reads outside the options records.</summary>
    private static readonly string[] Others =
    [
        "FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", PipelineServices.StorageConnection, "AzureWebJobs.InboxSweep.Disabled",
        Core.Models.ModelStore.CacheVariable, Core.Models.ModelStore.MirrorVariable, "PLATEBLUR_WORK_DIR",
    ];

    public static SortedSet<string> Expected()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in new[] { typeof(PlateBlurOptions), typeof(NotificationOptions) })
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                names.Add($"{PlateBlurOptions.Section}__{p.Name}");
        names.UnionWith(Others);
        return names;
    }

    [Fact]
    public void Local_settings_sample_holds_exactly_the_settings_the_app_reads()
    {
        using var doc = Repo.ReadJson(Repo.File("local.settings.sample.json"));
        var actual = new SortedSet<string>(doc.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name), StringComparer.Ordinal);
        var expected = Expected();
        Assert.Empty(expected.Except(actual)); // read by the app but missing from the sample
        Assert.Empty(actual.Except(expected)); // in the sample but read by nothing
    }

    [Fact]
    public void Sample_defaults_are_the_defaults_the_code_uses()
    {
        using var doc = Repo.ReadJson(Repo.File("local.settings.sample.json"));
        var values = doc.RootElement.GetProperty("Values");
        var defaults = new PlateBlurOptions();
        foreach (var p in typeof(PlateBlurOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string sample = values.GetProperty($"PlateBlur__{p.Name}").GetString()!;
            string code = Convert.ToString(p.GetValue(defaults), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            Assert.True(string.Equals(sample, code, StringComparison.OrdinalIgnoreCase), $"PlateBlur__{p.Name}: sample '{sample}', code default '{code}'");
        }
    }
}
