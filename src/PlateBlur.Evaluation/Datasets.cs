using System.Globalization;
using System.Text.Json;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;

namespace PlateBlur.Evaluation;

/// <summary>A photo with its ground-truth plate boxes (pixels, top-left origin, upright picture).</summary>
public sealed record AnnotatedImage(string Image, IReadOnlyList<BoxF> Plates);

public enum DatasetFormat { Openalpr, Yolo, Coco }

/// <summary>Readers for the annotation layouts eval accepts.</summary>
public static class Datasets
{
    public static DatasetFormat Detect(string folder)
    {
        if (Directory.Exists(Path.Combine(folder, "labels")) && Directory.Exists(Path.Combine(folder, "images"))) return DatasetFormat.Yolo;
        if (Directory.EnumerateFiles(folder, "*.json").Any()) return DatasetFormat.Coco;
        return DatasetFormat.Openalpr;
    }

    public static List<AnnotatedImage> Load(string folder, DatasetFormat format) => format switch
    {
        DatasetFormat.Yolo => LoadYolo(folder),
        DatasetFormat.Coco => LoadCoco(Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).First()),
        _ => LoadOpenalpr(folder),
    };

    /// <summary>A photo stratum (tests/strata/NAME.txt): one plate per line, "PATH x y w h" in pixels, PATH relative to
    /// <paramref name="root"/> (the shared data folder), or, when it starts with "./", to the list's own folder (photos kept with the
    /// lists, tests/strata/photos). Only the listed plates count; '#' starts a comment, also after a plate.</summary>
    public static List<AnnotatedImage> LoadStratum(string listFile, string root)
    {
        var byImage = new SortedDictionary<string, List<BoxF>>(StringComparer.Ordinal);
        foreach (var (path, box) in StratumEntries(listFile))
        {
            bool beside = path.StartsWith("./", StringComparison.Ordinal);
            string folder = Path.GetFullPath(beside ? Path.GetDirectoryName(Path.GetFullPath(listFile))! : root);
            string image = Path.GetFullPath(Path.Combine(folder, beside ? path[2..] : path));
            if (!image.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidDataException($"{listFile}: '{path}' leaves {(beside ? "the list's folder" : "the data folder")}.");
            if (!File.Exists(image)) throw new FileNotFoundException(beside ? $"{listFile}: {image} is missing."
                : $"{listFile}: {image} is missing (is the data folder {root} complete?).");
            if (!byImage.TryGetValue(image, out var list)) byImage[image] = list = [];
            list.Add(box);
        }
        return byImage.Select(kv => new AnnotatedImage(kv.Key, kv.Value)).ToList();
    }

    /// <summary>The training picture a strata list's path names ("train/SET/images/FILE" gives SET and FILE without its extension),
    /// or null for a path outside the training sets.</summary>
    public static (string Set, string Name)? TrainingPicture(string listedPath)
    {
        var p = listedPath.Split('/');
        return p.Length == 4 && p[0] == "train" && p[2] == "images" ? (p[1], Path.GetFileNameWithoutExtension(p[3])) : null;
    }

    /// <summary>"SET/NAME" of a training picture and of its copy in the other Open Images set: `openimages-lp-useu/oi_ID` is
    /// `openimages/ID` resized, so leaving one out of training must leave out both (models/training's common.same_photo says the same).</summary>
    public static IEnumerable<string> SamePhoto(string set, string name)
    {
        yield return set + "/" + name;
        if (set == "openimages") yield return "openimages-lp-useu/oi_" + name;
        else if (set == "openimages-lp-useu" && name.StartsWith("oi_", StringComparison.Ordinal)) yield return "openimages/" + name[3..];
    }

    /// <summary>The lines of a stratum list as written ("PATH x y w h", PATH as listed), without opening any photo.</summary>
    public static IEnumerable<(string Path, BoxF Box)> StratumEntries(string listFile)
    {
        foreach (var line in File.ReadLines(listFile).Select(l => l.Split('#')[0]).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 5) throw new InvalidDataException($"{listFile}: expected 'path x y w h', got '{line}'.");
            yield return (f[0], new BoxF(F(f[1]), F(f[2]), F(f[3]), F(f[4])));
        }
    }

    /// <summary>The path a strata list in <paramref name="listDir"/> names <paramref name="image"/> by: "./…" for a photo kept in that
    /// folder, else relative to <paramref name="root"/> (the shared data folder). The key of its half and of its audit verdicts, the
    /// same wherever the repository and the data lie.</summary>
    public static string ListedPath(string image, string root, string listDir)
    {
        string beside = Path.GetRelativePath(Path.GetFullPath(listDir), Path.GetFullPath(image));
        return (beside.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(beside)
            ? Path.GetRelativePath(root, image) : "./" + beside).Replace('\\', '/');
    }

    /// <summary>Which half of the photo strata a photo belongs to: "tuning" (settings may be chosen on it) or "report" (quoted, never
    /// tuned on). Decided by the first byte of the SHA-256 of its path relative to the shared data folder ('/' separators), even =
    /// tuning: a fixed split that no later change to the lists or the code can move, and that keeps a photo listed in two strata
    /// (yellow and two-line, say) in the same half of both.</summary>
    public static string StratumHalf(string relativePath)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(relativePath.Replace('\\', '/')));
        return (hash[0] & 1) == 0 ? TuningHalf : ReportHalf;
    }

    public const string TuningHalf = "tuning", ReportHalf = "report";

    /// <summary>openalpr benchmark layout: NAME.txt holds "file x y w h text" (tab or space separated), one plate per line.</summary>
    public static List<AnnotatedImage> LoadOpenalpr(string folder)
    {
        var byImage = new SortedDictionary<string, List<BoxF>>(StringComparer.Ordinal);
        foreach (var txt in Directory.EnumerateFiles(folder, "*.txt"))
            foreach (var line in File.ReadLines(txt).Where(l => !string.IsNullOrWhiteSpace(l) && !l.StartsWith('#')))
            {
                var f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 5) throw new InvalidDataException($"{txt}: expected 'file x y w h [text]', got '{line}'.");
                string image = Path.Combine(folder, f[0]);
                if (!byImage.TryGetValue(image, out var list)) byImage[image] = list = [];
                list.Add(new BoxF(F(f[1]), F(f[2]), F(f[3]), F(f[4])));
            }
        return byImage.Select(kv => new AnnotatedImage(kv.Key, kv.Value)).ToList();
    }

    /// <summary>YOLO layout: images/NAME.ext and labels/NAME.txt with "class cx cy w h" normalised to the image size.</summary>
    public static List<AnnotatedImage> LoadYolo(string folder)
    {
        var list = new List<AnnotatedImage>();
        foreach (var image in Directory.EnumerateFiles(Path.Combine(folder, "images")).Where(f => Photo.IsPhotoExtension(Path.GetExtension(f))).Order(StringComparer.Ordinal))
        {
            string label = Path.Combine(folder, "labels", Path.GetFileNameWithoutExtension(image) + ".txt");
            var boxes = new List<BoxF>();
            if (File.Exists(label))
            {
                var (w, h) = ImageSize(image);
                foreach (var line in File.ReadLines(label).Where(l => !string.IsNullOrWhiteSpace(l)))
                {
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length < 5) throw new InvalidDataException($"{label}: expected 'class cx cy w h', got '{line}'.");
                    boxes.Add(BoxF.FromCenter(F(f[1]) * w, F(f[2]) * h, F(f[3]) * w, F(f[4]) * h));
                }
            }
            list.Add(new AnnotatedImage(image, boxes));
        }
        return list;
    }

    /// <summary>COCO JSON: images[{id, file_name}], annotations[{image_id, bbox:[x,y,w,h]}], paths relative to the JSON file.</summary>
    public static List<AnnotatedImage> LoadCoco(string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        string dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath))!;
        var images = doc.RootElement.GetProperty("images").EnumerateArray()
            .ToDictionary(i => i.GetProperty("id").GetInt64(), i => Path.Combine(dir, i.GetProperty("file_name").GetString()!));
        var boxes = images.Keys.ToDictionary(k => k, _ => new List<BoxF>());
        foreach (var a in doc.RootElement.GetProperty("annotations").EnumerateArray())
        {
            var b = a.GetProperty("bbox").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            boxes[a.GetProperty("image_id").GetInt64()].Add(new BoxF(b[0], b[1], b[2], b[3]));
        }
        return images.OrderBy(kv => kv.Value, StringComparer.Ordinal).Select(kv => new AnnotatedImage(kv.Value, boxes[kv.Key])).ToList();
    }

    /// <summary>Adds plates from a supplementary label file ("image-file-name x y w h" lines) to the images it names.</summary>
    public static List<AnnotatedImage> AddSupplementary(List<AnnotatedImage> images, string? path)
    {
        if (path == null || !File.Exists(path)) return images;
        var extra = new Dictionary<string, List<BoxF>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l) && !l.TrimStart().StartsWith('#')))
        {
            var f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (!extra.TryGetValue(f[0], out var l)) extra[f[0]] = l = [];
            l.Add(new BoxF(F(f[1]), F(f[2]), F(f[3]), F(f[4])));
        }
        return images.Select(i => extra.TryGetValue(Path.GetFileName(i.Image), out var more) ? i with { Plates = [.. i.Plates, .. more] } : i).ToList();
    }

    private static (int W, int H) ImageSize(string path)
    {
        using var codec = SkiaSharp.SKCodec.Create(path) ?? throw new InvalidDataException($"{path} cannot be read as an image.");
        var info = codec.Info;
        return (int)codec.EncodedOrigin >= 5 ? (info.Height, info.Width) : (info.Width, info.Height);
    }

    internal static float F(string s) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}

/// <summary>
/// A blind hand audit of the strata's labelled boxes (tests/strata/audit.tsv: "path x y w h verdict box note", tab separated; made by
/// looking at each box with no detection drawn). Verdicts: one-line, two-line, plate-unreadable (a plate, rows not countable),
/// not-registration (dealer, novelty or blank plate, an empty bracket), no-plate (a sign, a bare bumper).
/// </summary>
public sealed class StrataAudit
{
    private readonly Dictionary<string, string> _verdicts;
    private StrataAudit(Dictionary<string, string> verdicts) => _verdicts = verdicts;

    public int Count => _verdicts.Count;

    /// <summary>The audit in <paramref name="dir"/> (audit.tsv), or null when there is none.</summary>
    public static StrataAudit? Load(string dir)
    {
        string path = Path.Combine(dir, "audit.tsv");
        if (!File.Exists(path)) return null;
        var verdicts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Skip(1).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            var f = line.Split('\t');
            if (f.Length < 6) throw new InvalidDataException($"{path}: expected 'path x y w h verdict box note', got '{line}'.");
            if (!Verdicts.Contains(f[5])) throw new InvalidDataException($"{path}: unknown verdict '{f[5]}' in '{line}'.");
            verdicts[Key(f[0], new BoxF(Datasets.F(f[1]), Datasets.F(f[2]), Datasets.F(f[3]), Datasets.F(f[4])))] = f[5];
        }
        return new StrataAudit(verdicts);
    }

    public static readonly string[] Verdicts = ["one-line", "two-line", "plate-unreadable", "not-registration", "no-plate"];

    private static string Key(string relativePath, BoxF b) => string.Format(CultureInfo.InvariantCulture, "{0} {1:0} {2:0} {3:0} {4:0}",
        relativePath.Replace('\\', '/'), b.X, b.Y, b.W, b.H);

    /// <summary>The verdict on one labelled box, or null when the audit does not list it.</summary>
    public string? Verdict(string relativePath, BoxF box) => _verdicts.GetValueOrDefault(Key(relativePath, box));

    /// <summary>Whether a box with this verdict holds a registration to protect: everything but signs, bare bumpers and plates that
    /// carry no registration. A box the audit does not list counts (the audit only ever removes what a person saw was not a plate).</summary>
    public static bool Protects(string? verdict) => verdict is not ("no-plate" or "not-registration");
}
