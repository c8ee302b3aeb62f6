using System.Diagnostics;
using PlateBlur.Core.Models;
using Xunit;

namespace PlateBlur.Testing;

/// <summary>Where tests find the shared photos, clips and models (PLATEBLUR_SHARED), and a model store over them.</summary>
public static class TestEnv
{
    public const string SharedVariable = "PLATEBLUR_SHARED";

    public static string? SharedDir => Environment.GetEnvironmentVariable(SharedVariable) is { Length: > 0 } s ? s : null;
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why shared-data tests are skipped here, or null when they run (in CI they always run and fail if the data is missing).</summary>
    public static string? SkipReason => SharedDir == null && !InCi
        ? $"SKIPPED: {SharedVariable} is not set, so this test has no real photos, clips or models (set it to the shared data folder)."
        : null;

    /// <summary>Azurite's connection string, exported by scripts/azurite.sh (scripts/test.sh starts Azurite).</summary>
    public static string? Storage => Environment.GetEnvironmentVariable("PLATEBLUR_STORAGE") is { Length: > 0 } c ? c : null;

    /// <summary>Why storage tests are skipped here, or null when they run (in CI they always run).</summary>
    public static string? StorageSkipReason => SkipReason ?? (Storage == null && !InCi
        ? "SKIPPED: PLATEBLUR_STORAGE is not set: start Azurite with scripts/azurite.sh (scripts/test.sh does) to run pipeline tests." : null);

    public static string Shared(params string[] parts)
    {
        var dir = SharedDir ?? throw new InvalidOperationException($"{SharedVariable} must point at the shared data folder (CI sets it in .ci/run).");
        var path = Path.Combine([dir, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"Shared test data missing: {path}");
        return path;
    }

    private static readonly Lazy<ModelStore> LazyModels = new(() =>
    {
        string cache = Environment.GetEnvironmentVariable(ModelStore.CacheVariable) is { Length: > 0 } c ? c : Path.Combine(Path.GetTempPath(), "plateblur-test-models");
        string? mirror = Environment.GetEnvironmentVariable(ModelStore.MirrorVariable) is { Length: > 0 } m ? m : SharedDir != null ? Path.Combine(SharedDir, "models") : null;
        return new ModelStore(cache, mirror);
    });

    public static ModelStore Models => LazyModels.Value;

    /// <summary>The repository root (the folder holding PlateBlur.slnx above the test binaries).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "PlateBlur.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root (PlateBlur.slnx) not found above the test folder.");
    }

    /// <summary>A fresh folder under the temp directory, removed when disposed.</summary>
    public static TempDir TempDir() => new();

    /// <summary>Runs ffmpeg (or ffprobe) and returns stdout; throws with stderr on failure.</summary>
    public static string Run(string tool, string arguments, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"{tool} {arguments} took over {timeoutSeconds} s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {arguments} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    public static string Ffmpeg(string arguments) => Run("ffmpeg", "-hide_banner -loglevel error -y " + arguments);
    public static string Ffprobe(string arguments) => Run("ffprobe", "-v error " + arguments);
}

/// <summary>A Fact that is skipped, with the reason printed, when the shared data folder is not configured outside CI.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute() { if (TestEnv.SkipReason is { } r) Skip = r; }
}

/// <summary>A Fact that needs the shared data and Azurite; skipped with the reason printed when either is missing outside CI.</summary>
public sealed class StorageFactAttribute : FactAttribute
{
    public StorageFactAttribute() { if (TestEnv.StorageSkipReason is { } r) Skip = r; }
}

/// <summary>A Theory with the same skip rule as <see cref="StorageFactAttribute"/>.</summary>
public sealed class StorageTheoryAttribute : TheoryAttribute
{
    public StorageTheoryAttribute() { if (TestEnv.StorageSkipReason is { } r) Skip = r; }
}

/// <summary>A Theory with the same skip rule as <see cref="SharedFactAttribute"/>.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute() { if (TestEnv.SkipReason is { } r) Skip = r; }
}

public sealed class TempDir : IDisposable
{
    public TempDir() { Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "plateblur-test-" + Guid.NewGuid().ToString("N")[..10]); Directory.CreateDirectory(Path); }
    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
