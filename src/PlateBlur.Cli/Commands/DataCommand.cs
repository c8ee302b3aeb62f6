using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlateBlur.Core.Models;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur data list | fetch | verify: the photos and clips of tests/data.manifest.json, copied from a mirror or downloaded, each sha256 checked.</summary>
public static class DataCommand
{
    public const string DirVariable = "PLATEBLUR_DATA_DIR";

    /// <summary>"SET/NAME" of every photo the strata lists name (paths train/SET/images/FILE), and of its copy in the other Open
    /// Images set (<see cref="PlateBlur.Evaluation.Datasets.SamePhoto"/>): never rendered for training.</summary>
    public static HashSet<string> StrataPhotos(string strataDir) =>
        Directory.GetFiles(strataDir, "*.txt").SelectMany(PlateBlur.Evaluation.Datasets.StratumEntries)
            .Select(e => PlateBlur.Evaluation.Datasets.TrainingPicture(e.Path)).OfType<(string Set, string Name)>()
            .SelectMany(t => PlateBlur.Evaluation.Datasets.SamePhoto(t.Set, t.Name))
            .ToHashSet(StringComparer.Ordinal);

    private static string? FindRepoRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "tests", "strata"))) return d.FullName;
        return null;
    }

    public static Command Create()
    {
        var manifestOption = new Option<string?>("--manifest") { Description = "Data manifest (default: the one built into plateblur, tests/data.manifest.json)" };

        var list = new Command("list", "List the files of the data manifest (path, bytes, licence, where it comes from)") { manifestOption };
        list.SetAction(r =>
        {
            var m = Load(r.GetValue(manifestOption));
            foreach (var f in m.Files(withModels: true))
                Console.WriteLine($"{f.Path,-60} {f.Bytes,10:N0}  {f.Licence ?? "",-24} {f.Url ?? "(mirror only: " + (f.Source ?? "no public URL") + ")"}");
            return 0;
        });

        var paths = new Argument<string[]>("paths") { Description = "Files or folders of the manifest to fetch, e.g. samples/us_freeway_dashcam_540p.mp4 or data/openalpr-eu (default: all)", Arity = ArgumentArity.ZeroOrMore };
        var to = new Option<string?>("--to") { Description = $"Data folder to fill (default: ${DirVariable}, else ~/.cache/plateblur/data)" };
        var mirror = new Option<string?>("--mirror") { Description = $"Folder laid out like the data folder to copy from instead of downloading (default: ${DataStore.MirrorVariable})" };
        var fetch = new Command("fetch", $"Fill a data folder from a mirror (${DataStore.MirrorVariable}) or the public URLs, checking every sha256; files already there and verified are kept") { paths, to, mirror, manifestOption };
        fetch.SetAction(async (r, ct) =>
        {
            var store = new DataStore(r.GetValue(to) ?? DefaultDir(), r.GetValue(mirror) ?? Env(DataStore.MirrorVariable), Env(ModelStore.MirrorVariable));
            var m = Load(r.GetValue(manifestOption));
            try
            {
                var files = m.Select(r.GetValue(paths) ?? []);
                var result = await store.FetchAsync(files, new Progress<string>(Console.Error.WriteLine), ct);
                foreach (var (file, error) in result.Failed) Console.Error.WriteLine($"plateblur: {file.Path}: {error}");
                Console.WriteLine($"{store.Dir}: {result.Kept} already verified, {result.Copied} copied from the mirror, {result.Downloaded} downloaded, {result.Failed.Count} failed ({files.Count} files, sha256 checked)");
                return result.Failed.Count == 0 ? 0 : 1;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 2;
            }
        });

        var dir = new Argument<string?>("dir") { Description = $"Data folder to check (default: ${DirVariable}, else ~/.cache/plateblur/data)", Arity = ArgumentArity.ZeroOrOne };
        var verify = new Command("verify", "Check that every file of the manifest is in a data folder with its sha256") { dir, manifestOption };
        verify.SetAction(async (r, ct) =>
        {
            var m = Load(r.GetValue(manifestOption));
            var problems = await DataStore.VerifyAsync(r.GetValue(dir) ?? DefaultDir(), m.Files(withModels: false), ct);
            foreach (var p in problems) Console.Error.WriteLine($"plateblur: {p}");
            Console.WriteLine(problems.Count == 0 ? "every file present, sha256 ok" : $"{problems.Count} problems");
            return problems.Count == 0 ? 0 : 1;
        });

        var train = new Option<string?>("--train") { Description = "Training data root holding YOLO sets (SET/images, SET/labels); default: PLATEBLUR_SHARED/train" };
        var sets = new Option<string>("--sets") { Description = "Sets to render from, comma separated", DefaultValueFactory = _ => "openimages,openimages-lp-useu,roboflow-mit" };
        var outDir = new Option<string>("--out") { Description = "Folder for rendered-SET/images and rendered-SET/labels", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed (the strata use 20261201 and 20261202: train with another)", DefaultValueFactory = _ => 7 };
        var twoLine = new Option<double>("--two-line") { Description = "Share of labelled plates replaced by a rendered two-line plate", DefaultValueFactory = _ => 0.35 };
        var turned = new Option<double>("--turned") { Description = "Share replaced by a one-line plate turned 0-70 degrees away from the camera", DefaultValueFactory = _ => 0.25 };
        var strata = new Option<string?>("--strata") { Description = "Folder of the photo strata lists whose photos are never rendered (default: tests/strata of this checkout)" };
        var renderTrain = new Command("render-train", "Training pictures with rendered plates (two-line plates, one-line plates seen from the side) in place of labelled ones, for models/training's --extra-data")
            { train, sets, outDir, seed, twoLine, turned, strata };
        renderTrain.SetAction(r =>
        {
            try
            {
                string root = r.GetValue(train) ?? (Env("PLATEBLUR_SHARED") is { } shared ? Path.Combine(shared, "train")
                    : throw new ArgumentException("--train DIR or PLATEBLUR_SHARED is needed."));
                double a = r.GetValue(twoLine), b = r.GetValue(turned);
                if (a < 0 || b < 0 || a + b > 1) throw new ArgumentException("--two-line and --turned are shares: each at least 0, together at most 1.");
                int s = r.GetValue(seed);
                if (s is 20261201 or 20261202) throw new ArgumentException($"seed {s} is a rendered stratum's seed; train with another.");
                string strataDir = r.GetValue(strata) ?? Path.Combine(FindRepoRoot() ?? ".", "tests", "strata");
                if (!Directory.Exists(strataDir)) throw new DirectoryNotFoundException($"{strataDir}: the strata lists are needed so their photos are never rendered for training (--strata).");
                var exclude = StrataPhotos(strataDir);
                var setList = r.GetValue(sets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                int total = setList.Sum(x => Directory.Exists(Path.Combine(root, x, "images")) ? Directory.GetFiles(Path.Combine(root, x, "images")).Length : 0);
                var (photos, replaced, kept) = PlateBlur.Evaluation.RenderedPlates.BuildTraining(root, setList, r.GetValue(outDir)!, s, a, b, exclude,
                    new LineProgress("render-train", total));
                Console.WriteLine($"{r.GetValue(outDir)}: {photos} photos written, {replaced} plates rendered, {kept} kept; {exclude.Count} picture names left out (the strata photos and their copies in the other Open Images set)");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 2;
            }
        });

        return new Command("data", "Test and sample data (tests/data.manifest.json): list, fetch, verify; render-train makes training pictures with rendered plates") { list, fetch, verify, renderTrain };
    }

    public static string DefaultDir() => Env(DirVariable)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "plateblur", "data");

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static DataManifest Load(string? path) => path == null ? DataManifest.Embedded : DataManifest.Load(path);
}

/// <summary>tests/data.manifest.json: sets of files under a folder, each with its size, sha256, licence and public URL (or urlBase + name).</summary>
public sealed class DataManifest
{
    [JsonPropertyName("includeModels")] public bool IncludeModels { get; init; }
    [JsonPropertyName("sets")] public List<DataSet> Sets { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { ReadCommentHandling = JsonCommentHandling.Skip };

    public static DataManifest Parse(string json) => JsonSerializer.Deserialize<DataManifest>(json, Json) ?? throw new InvalidDataException("Empty data manifest.");
    public static DataManifest Load(string path) => Parse(File.ReadAllText(path));

    public static DataManifest Embedded { get; } = LoadEmbedded();

    private static DataManifest LoadEmbedded()
    {
        using var s = typeof(DataManifest).Assembly.GetManifestResourceStream("PlateBlur.Cli.data.manifest.json")
            ?? throw new InvalidOperationException("The data manifest is not built into plateblur.");
        return Parse(new StreamReader(s).ReadToEnd());
    }

    /// <summary>Every file with its path under the data folder; with models, every model of models/manifest.json that has a mirror path (models/&lt;mirrorPath&gt;).</summary>
    public List<DataFile> Files(bool withModels)
    {
        var files = Sets.SelectMany(s => s.Files.Select(f => f with
        {
            Path = $"{s.Folder.TrimEnd('/')}/{f.Name}",
            Url = f.Url ?? (s.UrlBase != null ? s.UrlBase + Uri.EscapeDataString(f.Name) : null),
            Licence = f.Licence ?? s.Licence,
            Source = f.Source ?? s.Source,
            InShared = s.InShared,
        })).ToList();
        if (withModels && IncludeModels)
            files.AddRange(ModelManifest.Embedded.Models.Where(m => m.MirrorPath != null).Select(m => new DataFile
            {
                Name = m.File, Path = $"models/{m.MirrorPath}", Bytes = m.Bytes, Sha256 = m.Sha256, Licence = m.Licence, Url = m.Url,
                Source = $"model {m.Name} of models/manifest.json",
            }));
        return files;
    }

    /// <summary>The files under the given paths (a file's path or a folder prefix); all files, models included, when none is given.</summary>
    public List<DataFile> Select(IReadOnlyCollection<string> paths)
    {
        var all = Files(withModels: true);
        if (paths.Count == 0) return all;
        var picked = new List<DataFile>();
        foreach (var raw in paths)
        {
            string p = raw.Replace('\\', '/').Trim('/');
            var hits = all.Where(f => f.Path == p || f.Path.StartsWith(p + "/", StringComparison.Ordinal)).ToList();
            if (hits.Count == 0) throw new ArgumentException($"{raw} is not a file or folder of the data manifest (plateblur data list shows them).");
            picked.AddRange(hits.Where(h => !picked.Contains(h)));
        }
        return picked;
    }
}

public sealed class DataSet
{
    [JsonPropertyName("folder")] public required string Folder { get; init; }
    [JsonPropertyName("licence")] public string? Licence { get; init; }
    [JsonPropertyName("urlBase")] public string? UrlBase { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
    /// <summary>False for files the shared data folder (CI's mirror) does not hold: they come only from their public URL, and
    /// <see cref="DataStore.VerifyAsync"/> checks them only where they are present.</summary>
    [JsonPropertyName("inShared")] public bool InShared { get; init; } = true;
    [JsonPropertyName("files")] public List<DataFile> Files { get; init; } = [];
}

public sealed record DataFile
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("licence")] public string? Licence { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
    /// <summary>Path under the data folder (set by <see cref="DataManifest.Files"/>).</summary>
    [JsonIgnore] public string Path { get; init; } = "";
    /// <summary>Whether the shared data folder holds it (its set's inShared).</summary>
    [JsonIgnore] public bool InShared { get; init; } = true;
}

/// <summary>Fills a data folder with manifest files: kept when already verified, else copied from the mirror or downloaded, and written only when the sha256 matches.</summary>
public sealed class DataStore(string dir, string? mirrorDir = null, string? modelsMirrorDir = null, HttpClient? http = null)
{
    public const string MirrorVariable = "PLATEBLUR_DATA_MIRROR";

    public string Dir { get; } = Path.GetFullPath(dir);
    public string? MirrorDir { get; } = mirrorDir;

    public sealed record Result(int Kept, int Copied, int Downloaded, IReadOnlyList<(DataFile File, string Error)> Failed);

    public async Task<Result> FetchAsync(IReadOnlyList<DataFile> files, IProgress<string>? log = null, CancellationToken ct = default)
    {
        int kept = 0, copied = 0, downloaded = 0;
        var failed = new List<(DataFile, string)>();
        var client = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (f, token) =>
            {
                try
                {
                    switch (await FetchOneAsync(f, client, log, token))
                    {
                        case Outcome.Kept: Interlocked.Increment(ref kept); break;
                        case Outcome.Copied: Interlocked.Increment(ref copied); break;
                        default: Interlocked.Increment(ref downloaded); break;
                    }
                }
                catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException or UnauthorizedAccessException
                                              || (e is TaskCanceledException && !token.IsCancellationRequested))
                {
                    lock (failed) failed.Add((f, e.Message));
                }
            });
        }
        finally
        {
            if (http == null) client.Dispose();
        }
        return new Result(kept, copied, downloaded, failed.OrderBy(x => x.Item1.Path, StringComparer.Ordinal).ToList());
    }

    private enum Outcome { Kept, Copied, Downloaded }

    private async Task<Outcome> FetchOneAsync(DataFile f, HttpClient client, IProgress<string>? log, CancellationToken ct)
    {
        string target = Target(Dir, f);
        if (File.Exists(target))
        {
            if (new FileInfo(target).Length == f.Bytes && await ModelStore.Sha256Async(target, ct) == f.Sha256) return Outcome.Kept;
            log?.Report($"{f.Path}: the file in {Dir} does not match the manifest's sha256; fetching it again");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string partial = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Outcome how;
            string from;
            string? mirrored = MirrorSource(f);
            if (mirrored != null)
            {
                from = mirrored;
                await using var src = File.OpenRead(mirrored);
                await CopyToPartialAsync(src, partial, ct);
                how = Outcome.Copied;
            }
            else if (f.Url != null)
            {
                from = f.Url;
                log?.Report($"{f.Path}: downloading {f.Url}");
                try
                {
                    await using var src = await client.GetStreamAsync(f.Url, ct);
                    await CopyToPartialAsync(src, partial, ct);
                }
                catch (HttpRequestException e)
                {
                    throw new HttpRequestException($"download of {f.Url} failed ({e.Message}); without a network, set {MirrorVariable} to a folder that holds {f.Path}", e);
                }
                how = Outcome.Downloaded;
            }
            else
            {
                throw new FileNotFoundException(MirrorDir == null
                    ? $"no public URL is known ({f.Source ?? "see the manifest"}); set {MirrorVariable} to a folder that holds {f.Path}"
                    : $"the mirror {MirrorDir} has no {f.Path} and no public URL is known; it cannot be fetched");
            }
            string sha = await ModelStore.Sha256Async(partial, ct);
            if (sha != f.Sha256.ToLowerInvariant())
                throw new InvalidDataException($"REFUSED: {from} has sha256 {sha}, the manifest says {f.Sha256}; nothing was written");
            long bytes = new FileInfo(partial).Length;
            if (f.Bytes > 0 && bytes != f.Bytes)
                throw new InvalidDataException($"REFUSED: {from} has {bytes} bytes, the manifest says {f.Bytes}; nothing was written");
            File.Move(partial, target, true);
            return how;
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>Where a file is in the mirror: the data mirror's own layout, or for models also PLATEBLUR_MODELS_MIRROR/&lt;mirrorPath&gt;.</summary>
    private string? MirrorSource(DataFile f)
    {
        if (MirrorDir != null && File.Exists(Target(MirrorDir, f))) return Target(MirrorDir, f);
        if (modelsMirrorDir != null && f.Path.StartsWith("models/", StringComparison.Ordinal))
        {
            string m = Path.Combine(modelsMirrorDir, f.Path["models/".Length..]);
            if (File.Exists(m)) return m;
        }
        return null;
    }

    private static async Task CopyToPartialAsync(Stream source, string partial, CancellationToken ct)
    {
        await using var dest = new FileStream(partial, FileMode.CreateNew, FileAccess.Write);
        await source.CopyToAsync(dest, ct);
    }

    /// <summary>The file's path under a data folder; a manifest path that leaves the folder is refused.</summary>
    public static string Target(string root, DataFile f)
    {
        string full = Path.GetFullPath(Path.Combine(root, f.Path));
        string rootFull = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootFull, StringComparison.Ordinal) || f.Path.Split('/').Any(s => s is "" or "." or ".."))
            throw new InvalidDataException($"Manifest path {f.Path} leaves the data folder; refused.");
        return full;
    }

    /// <summary>Every problem of a data folder against the manifest: missing files, wrong sizes, wrong sha256.</summary>
    public static async Task<List<string>> VerifyAsync(string root, IEnumerable<DataFile> files, CancellationToken ct = default)
    {
        var problems = new List<string>();
        foreach (var f in files)
        {
            string p = Target(root, f);
            if (!File.Exists(p))
            {
                // Files the shared folder does not hold (downloaded only) are checked where present, not required.
                if (f.InShared) problems.Add($"{f.Path}: missing in {root}");
                continue;
            }
            long bytes = new FileInfo(p).Length;
            if (bytes != f.Bytes) { problems.Add($"{f.Path}: {bytes} bytes, the manifest says {f.Bytes}"); continue; }
            string sha = await ModelStore.Sha256Async(p, ct);
            if (sha != f.Sha256) problems.Add($"{f.Path}: sha256 {sha}, the manifest says {f.Sha256}");
        }
        return problems;
    }
}
