using System.Security.Cryptography;
using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Models;

/// <summary>Finds model files: a local cache filled from a mirror folder or the public URL, each file checked against its sha256.</summary>
public sealed class ModelStore(string cacheDir, string? mirrorDir = null, ModelManifest? manifest = null)
{
    public const string CacheVariable = "PLATEBLUR_MODELS_DIR";
    public const string MirrorVariable = "PLATEBLUR_MODELS_MIRROR";

    public ModelManifest Manifest { get; } = manifest ?? ModelManifest.Embedded;
    public string CacheDir { get; } = cacheDir;
    public string? MirrorDir { get; } = mirrorDir;

    /// <summary>The store configured by PLATEBLUR_MODELS_DIR (default ~/.cache/plateblur/models) and PLATEBLUR_MODELS_MIRROR.</summary>
    public static ModelStore FromEnvironment()
    {
        string cache = Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "plateblur", "models");
        string? mirror = Environment.GetEnvironmentVariable(MirrorVariable) is { Length: > 0 } m ? m : null;
        return new ModelStore(cache, mirror);
    }

    /// <summary>Resolves a manifest name or an .onnx path to a spec and a verified local file, fetching it if needed.</summary>
    public async Task<(ModelSpec Spec, string Path)> ResolveAsync(string nameOrPath, IProgress<string>? log = null, CancellationToken ct = default)
    {
        if (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath))
        {
            if (!File.Exists(nameOrPath)) throw new FileNotFoundException($"Model file {nameOrPath} does not exist.");
            string sha = await Sha256Async(nameOrPath, ct);
            // A copy of a catalogue model under another name is still that model (same bytes, same spec).
            var known = Manifest.Models.FirstOrDefault(m => m.Sha256 == sha);
            if (known != null) return (known, Path.GetFullPath(nameOrPath));
            var (spec, sizeSource) = CustomSpec(nameOrPath, sha);
            log?.Report($"Model {nameOrPath}: not in the catalogue; input {spec.InputSize} px ({sizeSource}), layout {spec.Layout}");
            return (spec, Path.GetFullPath(nameOrPath));
        }
        var s = Manifest.Find(nameOrPath);
        return (s, await FetchAsync(s, log, ct));
    }

    /// <summary>Metadata key a dynamic-shape plate model carries to say the input size it was trained and exported for
    /// (models/training/export_dynamic.py writes it).</summary>
    public const string InputSizeKey = "plateblur.input_size";

    /// <summary>A spec for a user's own ONNX file; its layout is read from the output shape when loaded, its input size from the
    /// input shape when that is fixed, else from the <see cref="InputSizeKey"/> metadata, else 640.</summary>
    /// <remarks>Before 2026-12-01 every user model was run at 640, so a candidate exported at 800 with a dynamic shape was searched
    /// at the wrong scale (more tiles, other pyramid steps) and compared unfairly with the catalogue's 800-px model.</remarks>
    private static (ModelSpec Spec, string SizeSource) CustomSpec(string path, string sha)
    {
        // One session answers both questions.
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var (size, source) = InputSizeOf(session, path);
        return (new ModelSpec
        {
            Name = Path.GetFileNameWithoutExtension(path), File = Path.GetFileName(path), Sha256 = sha, Licence = "unknown (user supplied)",
            Layout = GuessLayout(session), InputSize = size,
        }, source);
    }

    /// <summary>The input size of an ONNX file and where it came from ("input shape", "metadata", "default").</summary>
    public static (int Size, string Source) InputSizeOf(string path)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        return InputSizeOf(session, path);
    }

    private static (int Size, string Source) InputSizeOf(Microsoft.ML.OnnxRuntime.InferenceSession session, string path)
    {
        var dims = session.InputMetadata.First().Value.Dimensions;
        if (dims.Length == 4 && dims[2] > 0 && dims[3] > 0) return (Math.Max(dims[2], dims[3]), "input shape");
        if (session.ModelMetadata.CustomMetadataMap.TryGetValue(InputSizeKey, out var v)
            && int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n))
        {
            if (n is < 64 or > 4096 || n % 32 != 0)
                throw new InvalidDataException($"Model {path}: metadata {InputSizeKey} = {v} is not a multiple of 32 between 64 and 4096.");
            return (n, "metadata");
        }
        return (640, "default; the model's input is dynamic and it carries no " + InputSizeKey);
    }

    /// <summary>The output layout from the output shape; when that shape is symbolic (a dynamic-shape export), from the shape of
    /// one inference on a small blank picture. Before 2026-12-01 a symbolic shape was guessed as plain YOLOv5, so a dynamic
    /// yolov5-face candidate had its landmark columns read as class scores and masked much of every frame.</summary>
    private static OutputLayout GuessLayout(Microsoft.ML.OnnxRuntime.InferenceSession session)
    {
        var dims = session.OutputMetadata.First().Value.Dimensions;
        if (dims.Length == 3 && dims[1] > 0 && dims[2] > 0) return OutputDecoder.Guess(dims);
        var input = session.InputMetadata.First();
        var shape = input.Value.Dimensions.Select((d, i) => d > 0 ? d : i == 0 ? 1 : i == 1 ? 3 : 64).ToArray();
        using var blank = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new float[shape.Aggregate(1, (a, b) => a * b)], shape.Select(d => (long)d).ToArray());
        using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outputs = session.Run(run, [input.Key], [blank], [session.OutputMetadata.First().Key]);
        return OutputDecoder.Guess(outputs[0].GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray());
    }

    /// <summary>Makes sure the model is in the cache with the right sha256 and returns its path.</summary>
    public async Task<string> FetchAsync(ModelSpec spec, IProgress<string>? log = null, CancellationToken ct = default)
    {
        if (spec.BundledPath != null)
        {
            string bundled = Path.Combine(AppContext.BaseDirectory, "models", spec.BundledPath);
            await VerifyAsync(bundled, spec, ct);
            return bundled;
        }
        Directory.CreateDirectory(CacheDir);
        string target = Path.Combine(CacheDir, spec.File);
        if (File.Exists(target) && await Sha256Async(target, ct) == spec.Sha256) return target;

        string partial = target + $".partial-{Environment.ProcessId}";
        try
        {
            if (MirrorDir != null)
            {
                string source = Path.Combine(MirrorDir, spec.MirrorPath ?? spec.File);
                if (!File.Exists(source)) throw new FileNotFoundException($"Model mirror {MirrorDir} has no {spec.MirrorPath ?? spec.File}.");
                log?.Report($"Copying model {spec.Name} from mirror {source}");
                File.Copy(source, partial, true);
            }
            else
            {
                if (spec.Url == null) throw new InvalidOperationException($"Model {spec.Name} has no download URL; set {MirrorVariable}.");
                log?.Report($"Downloading model {spec.Name} from {spec.Url}");
                using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
                await using var response = await http.GetStreamAsync(spec.Url, ct);
                await using var file = File.Create(partial);
                await response.CopyToAsync(file, ct);
            }
            await VerifyAsync(partial, spec, ct);
            File.Move(partial, target, true);
            return target;
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    private static async Task VerifyAsync(string path, ModelSpec spec, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file {path} is missing.");
        string sha = await Sha256Async(path, ct);
        if (!string.Equals(sha, spec.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Model {spec.Name}: sha256 {sha} does not match the manifest's {spec.Sha256}; the file was not used.");
    }

    public static async Task<string> Sha256Async(string path, CancellationToken ct = default)
    {
        await using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
    }
}
