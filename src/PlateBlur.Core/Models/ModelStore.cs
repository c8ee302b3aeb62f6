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
            var known = Manifest.Models.FirstOrDefault(m => m.File == Path.GetFileName(nameOrPath));
            string sha = await Sha256Async(nameOrPath, ct);
            var spec = known != null && known.Sha256 == sha ? known : CustomSpec(nameOrPath, sha);
            return (spec, Path.GetFullPath(nameOrPath));
        }
        var s = Manifest.Find(nameOrPath);
        return (s, await FetchAsync(s, log, ct));
    }

    /// <summary>A spec for a user's own ONNX file; its layout is read from the output shape when loaded.</summary>
    private static ModelSpec CustomSpec(string path, string sha) => new()
    {
        Name = Path.GetFileNameWithoutExtension(path), File = Path.GetFileName(path), Sha256 = sha, Licence = "unknown (user supplied)",
        Layout = GuessLayout(path), InputSize = 640,
    };

    private static OutputLayout GuessLayout(string path)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        return OutputDecoder.Guess(session.OutputMetadata.First().Value.Dimensions);
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
