using System.Text.Json;

namespace PlateBlur.Functions.Tests;

/// <summary>Paths in the repository and the build configuration these tests were built with.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    public static JsonDocument ReadJson(string path) =>
        JsonDocument.Parse(System.IO.File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !System.IO.File.Exists(Path.Combine(dir.FullName, "PlateBlur.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root (PlateBlur.slnx) not found above the test folder.");
    }
}
