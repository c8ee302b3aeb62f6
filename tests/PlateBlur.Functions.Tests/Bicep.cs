using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PlateBlur.Functions.Tests;

/// <summary>infra/main.bicep compiled to its ARM template by the Bicep CLI that scripts/bicep.sh restores from NuGet (no network here).</summary>
public static partial class Bicep
{
    /// <summary>The CLI: PLATEBLUR_BICEP (scripts/test.sh exports it), else the NuGet cache at the version infra/tools pins.</summary>
    public static string? Cli { get; } = FindCli();

    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why template tests are skipped here, or null when they run (in CI they always run and fail without the CLI).</summary>
    public static string? SkipReason => Cli == null && !InCi
        ? "SKIPPED: the Bicep CLI is not restored: run scripts/bicep.sh (scripts/test.sh does) to compile infra/main.bicep for this test."
        : null;

    private static readonly Lazy<JsonElement> LazyTemplate = new(Build);

    /// <summary>The compiled main template (languageVersion 2.0: resources keyed by symbolic name).</summary>
    public static JsonElement Main => LazyTemplate.Value;

    public static string PinnedVersion()
    {
        string project = File.ReadAllText(Repo.File("infra", "tools", "Bicep.Restore.csproj"));
        return VersionPattern().Match(project) is { Success: true } m ? m.Groups[1].Value
            : throw new InvalidOperationException("infra/tools/Bicep.Restore.csproj pins no Azure.Bicep.CommandLine.linux-x64 version");
    }

    private static string? FindCli()
    {
        if (Environment.GetEnvironmentVariable("PLATEBLUR_BICEP") is { Length: > 0 } set && File.Exists(set)) return set;
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "azure.bicep.commandline.linux-x64", PinnedVersion(), "tools", "bicep");
        return OperatingSystem.IsLinux() && File.Exists(path) ? path : null;
    }

    private static JsonElement Build()
    {
        string cli = Cli ?? throw new InvalidOperationException("The Bicep CLI is missing: run scripts/bicep.sh first (CI runs it in scripts/test.sh).");
        var psi = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "build", Repo.File("infra", "main.bicep"), "--stdout" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("bicep build took over 2 minutes"); }
        Assert.True(p.ExitCode == 0, $"bicep build failed ({p.ExitCode}): {stderr.Result}");
        using var doc = JsonDocument.Parse(stdout.Result);
        return doc.RootElement.Clone();
    }

    /// <summary>A module (a nested deployment) of the main template by its symbolic name.</summary>
    public static JsonElement Module(string symbolicName) => Main.GetProperty("resources").GetProperty(symbolicName);

    /// <summary>The value main.bicep passes to a module parameter (an ARM expression or a literal).</summary>
    public static JsonElement ModuleParameter(string module, string parameter) =>
        Module(module).GetProperty("properties").GetProperty("parameters").GetProperty(parameter).GetProperty("value");

    /// <summary>A module's own compiled template.</summary>
    public static JsonElement ModuleTemplate(string module) => Module(module).GetProperty("properties").GetProperty("template");

    /// <summary>The one resource of a type in a module (symbolic-name templates key resources by name, classic ones list them).</summary>
    public static JsonElement Resource(string module, string type, Func<JsonElement, bool>? where = null)
    {
        var resources = ModuleTemplate(module).GetProperty("resources");
        var all = resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => p.Value) : resources.EnumerateArray();
        return Assert.Single(all, r => r.GetProperty("type").GetString() == type && (where?.Invoke(r) ?? true));
    }

    /// <summary>The parameter of the main template an expression is, if it is one: [parameters('x')] or [string(parameters('x'))].</summary>
    public static string? ParameterOf(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && ParameterPattern().Match(value.GetString()!) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>A value as the app sees it when every parameter has its default: literals as written, parameters and variables resolved.</summary>
    public static string Resolve(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String) return Scalar(value);
        string s = value.GetString()!;
        if (ParameterOf(value) is { } parameter) return Scalar(Main.GetProperty("parameters").GetProperty(parameter).GetProperty("defaultValue"));
        if (VariablePattern().Match(s) is { Success: true } v) return Resolve(Main.GetProperty("variables").GetProperty(v.Groups[1].Value));
        if (s.StartsWith('[') && !s.StartsWith("[[")) throw new InvalidOperationException($"{s} is computed at deployment, not a default");
        return s.StartsWith("[[") ? s[1..] : s;
    }

    public static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => e.GetRawText(),
    };

    [GeneratedRegex(@"Azure\.Bicep\.CommandLine\.linux-x64""\s+Version=""\[([0-9.]+)\]""")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^\[(?:string\()?parameters\('([A-Za-z0-9_]+)'\)\)?\]$")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"^\[variables\('([A-Za-z0-9_]+)'\)\]$")]
    private static partial Regex VariablePattern();
}

/// <summary>A Fact on the compiled template: skipped, with the reason printed, when the Bicep CLI is not restored outside CI.</summary>
public sealed class BicepFactAttribute : FactAttribute
{
    public BicepFactAttribute() { if (Bicep.SkipReason is { } r) Skip = r; }
}
