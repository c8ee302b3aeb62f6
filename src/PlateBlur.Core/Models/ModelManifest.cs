using System.Reflection;
using System.Text.Json;
using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Models;

/// <summary>The list of models PlateBlur knows (models/manifest.json, embedded at build time).</summary>
public sealed record ModelManifest(string Default, string VehicleDefault, IReadOnlyList<ModelSpec> Models)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static ModelManifest Embedded { get; } = LoadEmbedded();

    /// <summary>The default mask threshold for a model name or .onnx path (a file the manifest lists by name counts as that model).</summary>
    public float RecommendedThreshold(string nameOrPath) => Known(nameOrPath)?.Threshold ?? PlateBlurOptions.FallbackThreshold;

    /// <summary>The default QC threshold for a model name or .onnx path; null when the manifest gives none.</summary>
    public float? RecommendedQcThreshold(string nameOrPath) => Known(nameOrPath)?.QcThreshold;

    private ModelSpec? Known(string nameOrPath) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, nameOrPath, StringComparison.OrdinalIgnoreCase)
                                   || (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && m.File == Path.GetFileName(nameOrPath)));

    public ModelSpec Find(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{name}'. Known: {string.Join(", ", Models.Select(m => m.Name))}; or give a path to an .onnx file.");

    public static ModelManifest Parse(string json) =>
        JsonSerializer.Deserialize<ModelManifest>(json, Json) ?? throw new InvalidDataException("Empty model manifest.");

    private static ModelManifest LoadEmbedded()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("PlateBlur.Core.models.manifest.json")
            ?? throw new InvalidOperationException("The model manifest was not embedded in PlateBlur.Core.");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd());
    }
}
