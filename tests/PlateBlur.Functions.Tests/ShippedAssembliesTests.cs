using System.Text.Json;

namespace PlateBlur.Functions.Tests;

/// <summary>The Functions app ships the pipeline, not the measuring tools: PlateBlur.Evaluation (datasets, matchers, synthetic clips, charts)
/// is referenced by the CLI and the tests only.</summary>
public class ShippedAssembliesTests
{
    private static string FunctionsOutput => Repo.File("src", "PlateBlur.Functions", "bin", Repo.Configuration, "net10.0");

    [Fact]
    public void The_functions_build_holds_the_pipeline_and_no_evaluation_assembly()
    {
        // This project builds the Functions app first (a project reference), so its output is there to look at.
        Assert.True(File.Exists(Path.Combine(FunctionsOutput, "PlateBlur.Functions.dll")), $"no Functions build in {FunctionsOutput}");
        Assert.True(File.Exists(Path.Combine(FunctionsOutput, "PlateBlur.Orchestration.dll")));
        Assert.True(File.Exists(Path.Combine(FunctionsOutput, "PlateBlur.Core.dll")));
        Assert.False(File.Exists(Path.Combine(FunctionsOutput, "PlateBlur.Evaluation.dll")), "the Functions app ships PlateBlur.Evaluation.dll");

        // Nor in its dependency graph (what a publish would copy).
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(FunctionsOutput, "PlateBlur.Functions.deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains(libraries, l => l.StartsWith("PlateBlur.Orchestration/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, l => l.StartsWith("PlateBlur.Evaluation/", StringComparison.Ordinal));

        // And no evaluation code folded into the assemblies it does ship (as when it lived in Core/Evaluation).
        foreach (var dll in Directory.EnumerateFiles(FunctionsOutput, "PlateBlur.*.dll"))
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(dll));
            var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var namespaces = md.TypeDefinitions.Select(t => md.GetString(md.GetTypeDefinition(t).Namespace)).Distinct().ToList();
            Assert.DoesNotContain(namespaces, n => n.EndsWith(".Evaluation", StringComparison.Ordinal) || n == "PlateBlur.Evaluation");
            Assert.DoesNotContain(md.TypeDefinitions.Select(t => md.GetString(md.GetTypeDefinition(t).Name)), n => n is "PhotoEvaluator" or "VideoEvaluator" or "SyntheticClips" or "Charts");
        }
    }

    [Fact]
    public void Only_the_cli_and_tests_reference_the_evaluation_project()
    {
        var referencing = Directory.EnumerateFiles(Repo.File("src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => File.ReadAllText(p).Contains("PlateBlur.Evaluation.csproj", StringComparison.Ordinal))
            .Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Equal(["PlateBlur.Cli"], referencing);
    }
}
