using System.Globalization;
using SkiaSharp;

namespace PlateBlur.Evaluation;

/// <summary>
/// A photo stratum of rendered two-line (square) plates: every labelled plate of annotated real photos is painted out and a
/// rendered two-line plate of one of nine formats is put in its place, at the physical size the format would have next to the
/// original plate, turned and seen in perspective, lit like the original plate, softened, noised and saved as JPEG.
/// The real photos' labelled "two-line" boxes turned out to be mostly one-line plates (round 9), so this is the stratum where every
/// plate really has two rows of characters. The renderer is the project's own; the shipped detector was never trained on its
/// plates (models/training only restyles real plates, augment.restyle_plates, and that was off for the shipped model), so the
/// stratum is unseen by it. A model that is later trained on rendered plates must not be ranked on this stratum alone.
/// Deterministic: the same sources and seed give the same pictures and boxes (System.Random with a seed, Skia on the CPU).
/// </summary>
public static class RenderedPlates
{
    /// <summary>A two-line plate format: its size in millimetres, colours, an optional band on the left (the EU's blue strip), and
    /// how its two rows are made up (top row's share of the lettering height).</summary>
    public sealed record Format(string Name, float WidthMm, float HeightMm, SKColor Background, SKColor Ink, SKColor? Band, string? BandText,
        float TopShare, Func<Random, (string Top, string Bottom)> Text);

    private const string Letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
    private static string L(Random r, int n) => new(Enumerable.Range(0, n).Select(_ => Letters[r.Next(Letters.Length)]).ToArray());
    private static string D(Random r, int n) => new(Enumerable.Range(0, n).Select(_ => (char)('0' + r.Next(10))).ToArray());

    public static readonly IReadOnlyList<Format> Formats =
    [
        new("eu-square", 340, 200, new SKColor(0xf4, 0xf4, 0xf0), SKColors.Black, new SKColor(0x10, 0x38, 0x9c), "D", 0.5f,
            r => ($"{L(r, 1 + r.Next(3))} {L(r, 1 + r.Next(2))}", D(r, 1 + r.Next(4)))),
        new("uk-square-rear", 279, 203, new SKColor(0xf7, 0xc8, 0x00), SKColors.Black, null, null, 0.5f,
            r => ($"{L(r, 2)}{D(r, 2)}", L(r, 3))),
        new("jp-private", 330, 165, new SKColor(0xf2, 0xf2, 0xee), new SKColor(0x0b, 0x5a, 0x2c), null, null, 0.36f,
            r => ($"{L(r, 3)} {D(r, 3)}", $"{D(r, 2)}-{D(r, 2)}")),
        new("jp-kei", 330, 165, new SKColor(0xf2, 0xd0, 0x10), new SKColor(0x10, 0x10, 0x10), null, null, 0.36f,
            r => ($"{L(r, 2)} {D(r, 3)}", $"{D(r, 2)}-{D(r, 2)}")),
        new("in-commercial", 340, 200, new SKColor(0xf5, 0xcc, 0x10), SKColors.Black, null, null, 0.5f,
            r => ($"{L(r, 2)} {D(r, 2)} {L(r, 2)}", D(r, 4))),
        new("vn-square", 280, 200, new SKColor(0xf2, 0xf2, 0xf2), SKColors.Black, null, null, 0.5f,
            r => ($"{D(r, 2)}{L(r, 1)}-{D(r, 1)}", $"{D(r, 3)}.{D(r, 2)}")),
        new("ru-square", 290, 170, new SKColor(0xf4, 0xf4, 0xf4), SKColors.Black, null, null, 0.5f,
            r => (D(r, 4), $"{L(r, 2)} {D(r, 2)}")),
        new("eu-motorcycle", 210, 130, new SKColor(0xf4, 0xf4, 0xf0), SKColors.Black, new SKColor(0x10, 0x38, 0x9c), "I", 0.5f,
            r => ($"{L(r, 2)} {D(r, 2)}", D(r, 3))),
        new("kr-green", 335, 170, new SKColor(0x1c, 0x6a, 0x3c), new SKColor(0xf4, 0xf4, 0xf4), null, null, 0.42f,
            r => ($"{L(r, 2)} {D(r, 2)}", $"{L(r, 1)} {D(r, 4)}")),
    ];

    private static readonly string[] States = ["OHIO", "TEXAS", "OREGON", "IOWA", "UTAH", "MAINE", "IDAHO", "NEVADA", "ALASKA", "KANSAS"];

    /// <summary>One-line formats, for the turned-plate strata (a plate seen from the side): TopShare 0 is one row; the US plate's top
    /// row is its state name, not part of the registration.</summary>
    public static readonly IReadOnlyList<Format> OneLineFormats =
    [
        new("eu", 520, 110, new SKColor(0xf4, 0xf4, 0xf0), SKColors.Black, new SKColor(0x10, 0x38, 0x9c), "D", 0f,
            r => ("", $"{L(r, 1 + r.Next(2))} {L(r, 2)} {D(r, 1 + r.Next(4))}")),
        new("uk-rear", 520, 111, new SKColor(0xf7, 0xc8, 0x00), SKColors.Black, null, null, 0f,
            r => ("", $"{L(r, 2)}{D(r, 2)} {L(r, 3)}")),
        new("uk-front", 520, 111, new SKColor(0xf4, 0xf4, 0xf4), SKColors.Black, null, null, 0f,
            r => ("", $"{L(r, 2)}{D(r, 2)} {L(r, 3)}")),
        new("us", 305, 152, new SKColor(0xf2, 0xf2, 0xf2), new SKColor(0x12, 0x22, 0x60), null, null, 0.22f,
            r => (States[r.Next(States.Length)], $"{L(r, 3)} {D(r, 4)}")),
    ];

    /// <summary>One source set of annotated photos and the width in millimetres of the plates it shows (openalpr-us: US plates
    /// 305 mm; openalpr-eu: EU plates 520 mm), so the rendered plate gets the size it would have in the same place.</summary>
    public sealed record Source(string Folder, float PlateWidthMm);

    /// <summary>The sources the stratum is made of by default, relative to the shared data folder.</summary>
    public static readonly IReadOnlyList<(string Relative, float PlateWidthMm)> DefaultSources =
        [("data/openalpr-us", 305), ("data/openalpr-eu", 520)];

    public const int DefaultSeed = 20261201;

    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ];

    /// <summary>The typeface plates are lettered with: a condensed bold sans from Debian's font packages. Missing fonts are an error,
    /// not a silent fallback (a plate with no letters would be a different stratum).</summary>
    public static SKTypeface Typeface()
    {
        foreach (var f in FontFiles)
            if (File.Exists(f) && SKTypeface.FromFile(f) is { } t) return t;
        throw new FileNotFoundException($"No plate font found ({string.Join(", ", FontFiles)}): install Debian's fonts-dejavu-core.");
    }

    /// <summary>Renders the stratum into <paramref name="outDir"/> (SOURCE-NAME/PHOTO.jpg) and returns its photos with the rendered
    /// plates' boxes (the bounding box of each turned plate). Photos with no labelled plate are left out. With
    /// <paramref name="paintOutOnly"/> the real plates are painted out and nothing is put in their place, but the boxes returned are
    /// those the rendered plates would have: the control, what the detector covers there with no plate. <paramref name="moved"/>:
    /// see <see cref="Paste"/>. <paramref name="formats"/> receives each plate's format name, in the order of the returned boxes.</summary>
    public static List<AnnotatedImage> Build(IReadOnlyList<Source> sources, string outDir, int seed = DefaultSeed, int limit = int.MaxValue,
        IProgress<int>? progress = null, bool paintOutOnly = false, bool moved = false, List<string>? formats = null,
        bool oneLine = false, (double Min, double Max)? yaw = null, int copies = 1, List<double>? yaws = null)
    {
        using var typeface = Typeface();
        var pool = oneLine ? OneLineFormats : Formats;
        var jobs = sources.SelectMany(s => Datasets.LoadOpenalpr(s.Folder).Where(i => i.Plates.Count > 0).Select(i => (Source: s, Image: i)))
            .OrderBy(j => Path.GetFileName(j.Source.Folder) + "/" + Path.GetFileName(j.Image.Image), StringComparer.Ordinal)
            .SelectMany(j => Enumerable.Range(0, copies).Select(k => (j.Source, j.Image, Copy: k))).Take(limit).ToList();
        var result = new List<AnnotatedImage>();
        int done = 0;
        foreach (var (source, image, copy) in jobs)
        {
            string rel = Path.GetFileName(Path.GetFullPath(source.Folder).TrimEnd('/')) + "/" + Path.GetFileNameWithoutExtension(image.Image)
                + (copies > 1 ? $".{copy}" : "") + ".jpg";
            string target = Path.Combine(outDir, rel);
            var rng = new Random(seed ^ StableHash(rel));
            using var rgba = LoadUpright(image.Image);
            var boxes = new List<BoxF>();
            // How each plate was lit is read before any plate is painted out (painted out, its box is lit like the bumper around it).
            var lit = image.Plates.Select(p => MeanLuminance(rgba, p)).ToList();
            foreach (var plate in image.Plates) PaintOut(rgba, plate);
            for (int k = 0; k < image.Plates.Count; k++)
            {
                var plate = image.Plates[k];
                var format = pool[rng.Next(pool.Count)];
                formats?.Add(format.Name);
                double? yawDegrees = yaw is { } range ? range.Min + rng.NextDouble() * (range.Max - range.Min) : null;
                if (yawDegrees is { } yd) yaws?.Add(yd);
                boxes.Add(Paste(rgba, plate, source.PlateWidthMm, format, rng, typeface, moved, draw: !paintOutOnly, yawDegrees: yawDegrees, plateLuminance: lit[k]));
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using (var file = File.Create(target))
                Photo.WriteEncoded(rgba, file, SKEncodedImageFormat.Jpeg, 80 + rng.Next(13), rel);
            result.Add(new AnnotatedImage(Path.GetFullPath(target), boxes));
            progress?.Report(++done);
        }
        return result;
    }

    /// <summary>
    /// Training pictures with rendered plates (issue 12's synthetic plates): every labelled plate of a YOLO set (SET/images, SET/labels)
    /// at least 12 px wide is, by chance, replaced in its holder by a rendered two-line plate (<paramref name="twoLineShare"/>), by a
    /// one-line plate turned 0–70° away from the camera (<paramref name="turnedShare"/>), or kept. Photos where nothing was replaced
    /// are not written (the original is in the training set already). Output: OUT/rendered-SET/images/NAME.jpg and labels/NAME.txt
    /// ("0 cx cy w h", every plate of the photo), the same NAME as the source so the training code's split and its strata exclusion
    /// apply to the copy as to the original. <paramref name="exclude"/> holds "SET/NAME" pairs never to render (the strata photos).
    /// Plates are drawn at the size a 450 mm plate would have where the labelled one is (the sets mix plate sizes).
    /// </summary>
    public static (int Photos, int Replaced, int Kept) BuildTraining(string trainRoot, IReadOnlyList<string> sets, string outDir, int seed,
        double twoLineShare, double turnedShare, ISet<string> exclude, IProgress<int>? progress = null)
    {
        using var typeface = Typeface();
        int photos = 0, replaced = 0, kept = 0, done = 0;
        foreach (var set in sets)
        {
            string folder = Path.Combine(trainRoot, set);
            if (!Directory.Exists(Path.Combine(folder, "images"))) throw new DirectoryNotFoundException($"{folder} has no images/ folder (a YOLO set).");
            string imagesOut = Path.Combine(outDir, "rendered-" + set, "images"), labelsOut = Path.Combine(outDir, "rendered-" + set, "labels");
            Directory.CreateDirectory(imagesOut);
            Directory.CreateDirectory(labelsOut);
            foreach (var image in Datasets.LoadYolo(folder))
            {
                progress?.Report(++done);
                string name = Path.GetFileNameWithoutExtension(image.Image);
                if (exclude.Contains(set + "/" + name) || image.Plates.Count == 0) continue;
                var rng = new Random(seed ^ StableHash(set + "/" + name));
                var plan = image.Plates.Select(b => (Box: b, Draw: b.W >= 12 && b.H >= 6 ? rng.NextDouble() : 1.0)).ToList();
                if (plan.All(p => p.Draw >= twoLineShare + turnedShare)) continue;
                using var rgba = TryLoadUpright(image.Image);
                if (rgba == null) continue; // a training picture that does not decode is left out
                var lit = plan.Select(p => MeanLuminance(rgba, p.Box)).ToList(); // read before painting out (see the strata above)
                foreach (var p in plan.Where(p => p.Draw < twoLineShare + turnedShare)) PaintOut(rgba, p.Box);
                var boxes = new List<BoxF>();
                for (int k = 0; k < plan.Count; k++)
                {
                    var (box, draw) = plan[k];
                    if (draw >= twoLineShare + turnedShare) { boxes.Add(box); kept++; continue; }
                    bool twoLine = draw < twoLineShare;
                    var pool = twoLine ? Formats : OneLineFormats;
                    var format = pool[rng.Next(pool.Count)];
                    boxes.Add(Paste(rgba, box, 450f, format, rng, typeface,
                        yawDegrees: twoLine ? null : rng.NextDouble() * 70, plateLuminance: lit[k]));
                    replaced++;
                }
                using (var file = File.Create(Path.Combine(imagesOut, name + ".jpg")))
                    Photo.WriteEncoded(rgba, file, SKEncodedImageFormat.Jpeg, 82 + rng.Next(12), name);
                File.WriteAllLines(Path.Combine(labelsOut, name + ".txt"), boxes.Where(b => b.W >= 1 && b.H >= 1).Select(b => string.Format(CultureInfo.InvariantCulture,
                    "0 {0:0.######} {1:0.######} {2:0.######} {3:0.######}", b.CenterX / rgba.Width, b.CenterY / rgba.Height, b.W / rgba.Width, b.H / rgba.Height)));
                photos++;
            }
        }
        return (photos, replaced, kept);
    }

    /// <summary>The photo upright (EXIF orientation applied, as anonymize and the labels see it), as a bitmap to draw on.</summary>
    private static SKBitmap LoadUpright(string path)
    {
        var photo = Photo.Load(path);
        var bmp = new SKBitmap(new SKImageInfo(photo.Width, photo.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = bmp.GetPixelSpan();
        for (int y = 0; y < photo.Height; y++)
            photo.Rgba.AsSpan(y * photo.Width * 4, photo.Width * 4).CopyTo(pixels.Slice(y * bmp.RowBytes, photo.Width * 4));
        bmp.NotifyPixelsChanged();
        return bmp;
    }

    private static SKBitmap? TryLoadUpright(string path)
    {
        try { return LoadUpright(path); }
        catch (MediaException) { return null; }
    }

    /// <summary>FNV-1a of the UTF-8 bytes: a hash that, unlike string.GetHashCode, is the same in every process.</summary>
    public static int StableHash(string s)
    {
        uint h = 2166136261;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(s)) h = (h ^ b) * 16777619;
        return (int)h;
    }

    /// <summary>Paints the labelled plate (grown by 15 %) out with a Coons patch of the pixels around it, so no real plate is left
    /// for the detector to find in the rendered plate's place.</summary>
    public static void PaintOut(SKBitmap bmp, BoxF plate)
    {
        int w = bmp.Width, h = bmp.Height;
        int x0 = Math.Clamp((int)Math.Floor(plate.X - plate.W * 0.15f) - 1, 0, w - 1), x1 = Math.Clamp((int)Math.Ceiling(plate.X + plate.W * 1.15f) + 1, 0, w - 1);
        int y0 = Math.Clamp((int)Math.Floor(plate.Y - plate.H * 0.15f) - 1, 0, h - 1), y1 = Math.Clamp((int)Math.Ceiling(plate.Y + plate.H * 1.15f) + 1, 0, h - 1);
        if (x1 - x0 < 2 || y1 - y0 < 2) return;
        // The patch reads only the four border lines, and writes only inside them: those lines are copied, the inside written in place.
        var p = bmp.GetPixelSpan();
        int stride = bmp.RowBytes, cols = x1 - x0 + 1, rows = y1 - y0 + 1;
        var top = p.Slice(y0 * stride + x0 * 4, cols * 4).ToArray();
        var bottom = p.Slice(y1 * stride + x0 * 4, cols * 4).ToArray();
        var left = new byte[rows * 4];
        var right = new byte[rows * 4];
        for (int y = y0; y <= y1; y++)
        {
            p.Slice(y * stride + x0 * 4, 4).CopyTo(left.AsSpan((y - y0) * 4));
            p.Slice(y * stride + x1 * 4, 4).CopyTo(right.AsSpan((y - y0) * 4));
        }
        for (int y = y0 + 1; y < y1; y++)
        {
            float v = (y - y0) / (float)(y1 - y0);
            for (int x = x0 + 1; x < x1; x++)
            {
                float u = (x - x0) / (float)(x1 - x0);
                for (int c = 0; c < 3; c++)
                {
                    float value = (1 - u) * left[(y - y0) * 4 + c] + u * right[(y - y0) * 4 + c] + (1 - v) * top[(x - x0) * 4 + c] + v * bottom[(x - x0) * 4 + c]
                        - ((1 - u) * (1 - v) * top[c] + u * (1 - v) * top[(cols - 1) * 4 + c] + (1 - u) * v * bottom[c] + u * v * bottom[(cols - 1) * 4 + c]);
                    p[y * stride + x * 4 + c] = (byte)Math.Clamp(value, 0, 255);
                }
            }
        }
        bmp.NotifyPixelsChanged();
    }

    /// <summary>Renders one plate of <paramref name="format"/> where <paramref name="plate"/> was and returns its bounding box.</summary>
    /// <remarks>With <paramref name="moved"/> the plate goes beside its holder instead of into it: above the painted-out plate (below
    /// where there is no room above), so what is found there is found by the plate's own look, not by the place where plates sit.
    /// With <paramref name="draw"/> false nothing is drawn but the same box is returned (the control: what is covered there
    /// without a plate), and the random numbers drawn are the same as when drawing. <paramref name="yawDegrees"/>: the plate turned about its vertical axis by that angle and seen in perspective from
    /// four plate widths away (its width shrinks by the cosine, its far side is shorter), instead of the default slight turn.</remarks>
    public static BoxF Paste(SKBitmap bmp, BoxF plate, float sourcePlateMm, Format format, Random rng, SKTypeface typeface, bool moved = false, bool draw = true,
        double? yawDegrees = null, float? plateLuminance = null)
    {
        // Size: the new plate's width in pixels is what its millimetres would be at the original plate's scale.
        float scale = plate.W / sourcePlateMm;
        float tw = Math.Max(12, format.WidthMm * scale), th = tw * format.HeightMm / format.WidthMm;
        // Light: the original plate's mean luminance says how it was lit (plates are bright reflectors). Callers that paint the plate
        // out first pass it as it was before (until round 11 it was read after, so every plate was lit like the bumper around it).
        float lum = plateLuminance ?? MeanLuminance(bmp, plate);
        float gain = Math.Clamp(lum / 175f, 0.22f, 1.15f) * (0.9f + 0.2f * (float)rng.NextDouble());

        // The plate picture, drawn at about twice its final size and brought down by the warp.
        int rw = Math.Clamp((int)(tw * 2), 48, 900), rh = Math.Max(24, (int)(rw * format.HeightMm / format.WidthMm));
        using var plateBmp = RenderPlate(format, rw, rh, rng, typeface);

        // Pose: turned about the vertical axis (one side shorter), tilted in the picture, a little sheared.
        double angle = (rng.NextDouble() * 2 - 1) * 7 * Math.PI / 180, yaw = (rng.NextDouble() * 2 - 1) * 0.18, shear = (rng.NextDouble() * 2 - 1) * 0.06;
        float cx = plate.X + plate.W / 2, cy = plate.Y + plate.H / 2;
        if (moved)
        {
            float step = plate.H * 0.65f + th * 0.75f;
            cy = cy - step - th / 2 >= 0 ? cy - step : Math.Min(bmp.Height - th / 2, cy + step);
        }
        var noise = new Random(rng.Next());
        var corners = new (double X, double Y)[] { (-tw / 2, -th / 2), (tw / 2, -th / 2), (tw / 2, th / 2), (-tw / 2, th / 2) };
        var dst = new SKPoint[4];
        for (int i = 0; i < 4; i++)
        {
            var (x, y) = corners[i];
            if (yawDegrees is { } yd)
            {
                // Turned in 3-D about the vertical axis, then projected from 4 plate widths away: depth z makes the far side smaller.
                double t = yd * Math.PI / 180, z = x * Math.Sin(t), d = 4 * tw, k = d / (d + z);
                x = x * Math.Cos(t) * k;
                y *= k;
            }
            else y *= 1 + yaw * (x / (tw / 2));           // the far side is shorter
            x += shear * y;
            double rx = x * Math.Cos(angle) - y * Math.Sin(angle), ry = x * Math.Sin(angle) + y * Math.Cos(angle);
            dst[i] = new SKPoint((float)(cx + rx), (float)(cy + ry));
        }
        var m = Homography([new SKPoint(0, 0), new SKPoint(rw, 0), new SKPoint(rw, rh), new SKPoint(0, rh)], dst);

        float sigma = Math.Max(0.35f, 0.25f + (float)rng.NextDouble() * 0.9f) * Math.Clamp(tw / 120f, 0.5f, 1.6f);
        float minX = Math.Max(0, dst.Min(p => p.X)), maxX = Math.Min(bmp.Width, dst.Max(p => p.X));
        float minY = Math.Max(0, dst.Min(p => p.Y)), maxY = Math.Min(bmp.Height, dst.Max(p => p.Y));
        int amplitude = 2 + rng.Next(5);
        var box = new BoxF(minX, minY, maxX - minX, maxY - minY);
        if (!draw) return box;
        using var canvas = new SKCanvas(bmp);
        using var filter = SKColorFilter.CreateColorMatrix(
        [
            gain, 0, 0, 0, 0,
            0, gain, 0, 0, 0,
            0, 0, gain, 0, 0,
            0, 0, 0, 1, 0,
        ]);
        using var blur = SKImageFilter.CreateBlur(sigma, sigma);
        using var paint = new SKPaint { IsAntialias = true, ColorFilter = filter, ImageFilter = blur };
        using var image = SKImage.FromBitmap(plateBmp);
        canvas.Save();
        canvas.SetMatrix(m);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        canvas.Restore();
        canvas.Flush();

        AddNoise(bmp, (int)minX, (int)minY, (int)Math.Ceiling(maxX), (int)Math.Ceiling(maxY), amplitude, noise);
        return box;
    }

    /// <summary>The flat plate: rounded background, a thin rim, the optional band, two rows of letters that fill their rows' width.</summary>
    public static SKBitmap RenderPlate(Format f, int w, int h, Random rng, SKTypeface typeface)
    {
        var bmp = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var c = new SKCanvas(bmp);
        c.Clear(SKColors.Transparent);
        float r = h * 0.06f, rim = Math.Max(1, h * 0.025f);
        using (var bg = new SKPaint { Color = f.Background, IsAntialias = true })
            c.DrawRoundRect(0, 0, w, h, r, r, bg);
        // A soft vertical shade, as on a plate lit from above.
        using (var shade = new SKPaint { IsAntialias = true })
        {
            shade.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, h),
                [new SKColor(255, 255, 255, 0), new SKColor(0, 0, 0, (byte)(20 + rng.Next(40)))], SKShaderTileMode.Clamp);
            c.DrawRoundRect(0, 0, w, h, r, r, shade);
        }
        using (var edge = new SKPaint { Color = f.Ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = rim })
            c.DrawRoundRect(rim * 1.5f, rim * 1.5f, w - rim * 3, h - rim * 3, r, r, edge);
        float left = rim * 3;
        if (f.Band is { } band)
        {
            float bw = w * 40f / f.WidthMm;
            using var bp = new SKPaint { Color = band, IsAntialias = true };
            c.DrawRect(rim * 2, rim * 2, bw, h - rim * 4, bp);
            if (f.BandText != null)
            {
                using var bf = new SKFont(typeface, bw * 0.6f);
                using var tp = new SKPaint { Color = SKColors.White, IsAntialias = true };
                c.DrawText(f.BandText, rim * 2 + bw / 2, h - rim * 2 - bw * 0.3f, SKTextAlign.Center, bf, tp);
            }
            left = rim * 2 + bw + rim;
        }
        var (top, bottom) = f.Text(rng);
        float inner = h - rim * 6, gap = inner * 0.08f;
        if (f.TopShare <= 0) gap = 0;
        float topH = (inner - gap) * f.TopShare, bottomH = inner - gap - topH;
        using var ink = new SKPaint { Color = f.Ink, IsAntialias = true };
        if (topH > 0) DrawRow(c, top, left, w - rim * 3, rim * 3, topH, typeface, ink);
        DrawRow(c, bottom, left, w - rim * 3, rim * 3 + topH + gap, bottomH, typeface, ink);
        return bmp;
    }

    /// <summary>One row of letters, as tall as the row allows and no wider than it, centred.</summary>
    private static void DrawRow(SKCanvas c, string text, float x0, float x1, float y0, float rowH, SKTypeface typeface, SKPaint ink)
    {
        using var font = new SKFont(typeface, rowH);
        var bounds = new SKRect();
        font.MeasureText("0ABH", out bounds);
        float capH = Math.Max(1, bounds.Height);
        font.Size = rowH * rowH / capH * 0.92f;
        float width = font.MeasureText(text);
        float avail = (x1 - x0) * 0.92f;
        if (width > avail) font.ScaleX = avail / width;
        font.MeasureText("0ABH", out bounds);
        float baseline = y0 + (rowH + bounds.Height) / 2;
        c.DrawText(text, (x0 + x1) / 2, baseline, SKTextAlign.Center, font, ink);
    }

    private static float MeanLuminance(SKBitmap bmp, BoxF b)
    {
        int x0 = Math.Clamp((int)b.X, 0, bmp.Width - 1), x1 = Math.Clamp((int)(b.X + b.W), x0 + 1, bmp.Width);
        int y0 = Math.Clamp((int)b.Y, 0, bmp.Height - 1), y1 = Math.Clamp((int)(b.Y + b.H), y0 + 1, bmp.Height);
        var px = bmp.GetPixelSpan();
        double sum = 0; int n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int i = y * bmp.RowBytes + x * 4;
                sum += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
                n++;
            }
        return n == 0 ? 128 : (float)(sum / n);
    }

    private static void AddNoise(SKBitmap bmp, int x0, int y0, int x1, int y1, int amplitude, Random rng)
    {
        var p = bmp.GetPixelSpan();
        for (int y = y0; y < Math.Min(y1, bmp.Height); y++)
            for (int x = x0; x < Math.Min(x1, bmp.Width); x++)
            {
                int n = rng.Next(-amplitude, amplitude + 1);
                for (int c = 0; c < 3; c++)
                {
                    int i = y * bmp.RowBytes + x * 4 + c;
                    p[i] = (byte)Math.Clamp(p[i] + n, 0, 255);
                }
            }
        bmp.NotifyPixelsChanged();
    }

    /// <summary>The perspective matrix taking the four <paramref name="src"/> points to the four <paramref name="dst"/> points.</summary>
    public static SKMatrix Homography(SKPoint[] src, SKPoint[] dst)
    {
        var a = new double[8, 9];
        for (int i = 0; i < 4; i++)
        {
            double x = src[i].X, y = src[i].Y, u = dst[i].X, v = dst[i].Y;
            double[] r1 = [x, y, 1, 0, 0, 0, -u * x, -u * y, u];
            double[] r2 = [0, 0, 0, x, y, 1, -v * x, -v * y, v];
            for (int j = 0; j < 9; j++) { a[2 * i, j] = r1[j]; a[2 * i + 1, j] = r2[j]; }
        }
        for (int col = 0; col < 8; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 8; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            for (int j = 0; j < 9; j++) (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            for (int r = 0; r < 8; r++)
            {
                if (r == col) continue;
                double f = a[r, col] / a[col, col];
                for (int j = col; j < 9; j++) a[r, j] -= f * a[col, j];
            }
        }
        double H(int i) => a[i, 8] / a[i, i];
        return new SKMatrix((float)H(0), (float)H(1), (float)H(2), (float)H(3), (float)H(4), (float)H(5), (float)H(6), (float)H(7), 1);
    }

    /// <summary>A "PATH x y w h" list of the stratum (paths relative to <paramref name="outDir"/>), the form tests/strata uses.</summary>
    public static IEnumerable<string> List(IEnumerable<AnnotatedImage> images, string outDir) =>
        images.SelectMany(i => i.Plates.Select(b => string.Format(CultureInfo.InvariantCulture, "{0} {1:0} {2:0} {3:0} {4:0}",
            Path.GetRelativePath(outDir, i.Image).Replace('\\', '/'), b.X, b.Y, b.W, b.H)));
}

/// <summary>A NAME.render file: "source FOLDER PLATE-WIDTH-MM" lines (FOLDER relative to the shared data folder, openalpr layout)
/// and one "seed N" line; '#' starts a comment. A "paint-out-only" line makes the control stratum: the real plates painted out and
/// nothing put in their place, scored on the boxes the rendered plates would have (what is covered there is covered without a plate).
/// "placement moved" puts each plate above its painted-out holder instead of into it (RenderedPlates.Paste). "plates one-line" takes
/// the one-line formats; "yaw MIN MAX" turns every plate by an angle drawn from that range (degrees) in perspective; "copies N" renders
/// each photo N times with different plates.</summary>
public sealed record RenderedStratum(IReadOnlyList<RenderedPlates.Source> Sources, int Seed, bool PaintOutOnly = false, bool Moved = false,
    bool OneLine = false, (double Min, double Max)? Yaw = null, int Copies = 1)
{
    public static RenderedStratum Read(string path, string root)
    {
        var sources = new List<RenderedPlates.Source>();
        int seed = RenderedPlates.DefaultSeed;
        bool paintOut = false, moved = false, oneLine = false;
        (double, double)? yaw = null;
        int copies = 1;
        foreach (var raw in File.ReadLines(path))
        {
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[0] == "paint-out-only" && f.Length == 1) paintOut = true;
            else if (f[0] == "placement" && f.Length == 2 && f[1] is "in-place" or "moved") moved = f[1] == "moved";
            else if (f[0] == "plates" && f.Length == 2 && f[1] is "one-line" or "two-line") oneLine = f[1] == "one-line";
            else if (f[0] == "yaw" && f.Length == 3 && double.TryParse(f[1], CultureInfo.InvariantCulture, out double y0)
                && double.TryParse(f[2], CultureInfo.InvariantCulture, out double y1) && 0 <= y0 && y0 <= y1 && y1 < 90) yaw = (y0, y1);
            else if (f[0] == "copies" && f.Length == 2 && int.TryParse(f[1], CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 20) copies = n;
            else if (f[0] == "seed" && f.Length == 2 && int.TryParse(f[1], CultureInfo.InvariantCulture, out int s)) seed = s;
            else if (f[0] == "source" && f.Length == 3 && float.TryParse(f[2], CultureInfo.InvariantCulture, out float mm) && mm > 0)
            {
                string folder = Path.GetFullPath(Path.Combine(root, f[1]));
                if (!folder.StartsWith(Path.GetFullPath(root), StringComparison.Ordinal)) throw new InvalidDataException($"{path}: '{f[1]}' leaves the data folder.");
                if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{path}: {folder} is missing (is the data folder {root} complete?).");
                sources.Add(new RenderedPlates.Source(folder, mm));
            }
            else throw new InvalidDataException($"{path}: expected 'source FOLDER PLATE-WIDTH-MM', 'seed N', 'placement in-place|moved', " +
                $"'plates one-line|two-line', 'yaw MIN MAX' (degrees, below 90), 'copies N' (1-20) or 'paint-out-only', got '{raw}'.");
        }
        if (sources.Count == 0) throw new InvalidDataException($"{path} names no source.");
        return new RenderedStratum(sources, seed, paintOut, moved, oneLine, yaw, copies);
    }

    /// <summary>How many photos with plates the sources hold (for progress).</summary>
    public int Photos() => Copies * Sources.Sum(s => Datasets.LoadOpenalpr(s.Folder).Count(i => i.Plates.Count > 0));
}
