using System.Reflection;
using System.Text.Json;
using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Models;

/// <summary>The list of models PlateBlur knows (models/manifest.json, embedded at build time).</summary>
public sealed record ModelManifest(string Default, string VehicleDefault, IReadOnlyList<ModelSpec> Models)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static ModelManifest Embedded { get; } = LoadEmbedded();

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
