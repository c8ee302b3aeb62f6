using PlateBlur.Core.Detection;
using PlateBlur.Testing;
using SkiaSharp;

namespace PlateBlur.Evaluation.Tests;

/// <summary>The plate renderer's geometry and its stratum files (no model, no shared data: a grey picture with one labelled plate).</summary>
public class RenderedPlatesTests
{
    private static BoxF PasteOnGrey(RenderedPlates.Format format, double? yaw, int seed = 3)
    {
        using var bmp = new SKBitmap(800, 600, SKColorType.Rgba8888, SKAlphaType.Premul);
        bmp.Erase(new SKColor(90, 90, 90));
        using var typeface = RenderedPlates.Typeface();
        // A 260 px EU plate (520 mm) in the middle: a plate of the same format comes back 260 px wide when not turned.
        return RenderedPlates.Paste(bmp, new BoxF(270, 270, 260, 55), 520, format, new Random(seed), typeface, yawDegrees: yaw);
    }

    [Fact]
    public void A_turned_plate_is_narrower_by_the_cosine_and_stays_on_its_place()
    {
        var eu = RenderedPlates.OneLineFormats.Single(f => f.Name == "eu");
        var front = PasteOnGrey(eu, 0);
        var side = PasteOnGrey(eu, 60);
        // Unturned, it is 260 px wide give or take the small roll (up to 7 degrees) and shear.
        Assert.InRange(front.W, 250, 290);
        // At 60 degrees the width halves (cos 60), widened a little by the perspective and the roll.
        Assert.InRange(side.W / front.W, 0.45, 0.62);
        Assert.InRange(side.CenterX, 380, 420);
        Assert.InRange(side.CenterY, 278, 318);
    }

    [Fact]
    public void Two_line_formats_are_near_square_and_one_line_formats_wide()
    {
        foreach (var f in RenderedPlates.Formats) Assert.InRange(f.WidthMm / f.HeightMm, 1.2, 2.05);
        foreach (var f in RenderedPlates.OneLineFormats) Assert.InRange(f.WidthMm / f.HeightMm, 1.9, 4.8);
        Assert.Equal(9, RenderedPlates.Formats.Select(f => f.Name).Distinct().Count());
    }

    [Fact]
    public void Stratum_files_take_only_what_they_document()
    {
        using var dir = TestEnv.TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "data", "photos"));
        string Write(string text)
        {
            string p = Path.Combine(dir.Path, "x.render");
            File.WriteAllText(p, text);
            return p;
        }
        var ok = RenderedStratum.Read(Write("# c\nsource data/photos 520\nseed 5\nplacement moved\nplates one-line\nyaw 10 70\ncopies 3\n"), dir.Path);
        Assert.Equal((5, true, true, (10.0, 70.0), 3), (ok.Seed, ok.Moved, ok.OneLine, ok.Yaw!.Value, ok.Copies));
        Assert.False(ok.PaintOutOnly);
        Assert.Throws<InvalidDataException>(() => RenderedStratum.Read(Write("source data/photos 520\nyaw 10 95\n"), dir.Path));
        Assert.Throws<InvalidDataException>(() => RenderedStratum.Read(Write("source data/photos 520\ncopies 0\n"), dir.Path));
        Assert.Throws<InvalidDataException>(() => RenderedStratum.Read(Write("source ../../etc 520\n"), dir.Path));
        Assert.Throws<InvalidDataException>(() => RenderedStratum.Read(Write("seed 5\n"), dir.Path));
        Assert.Throws<DirectoryNotFoundException>(() => RenderedStratum.Read(Write("source data/missing 520\n"), dir.Path));
    }

    [Fact]
    public void Training_pictures_keep_the_source_names_leave_out_excluded_photos_and_label_every_plate()
    {
        using var dir = TestEnv.TempDir();
        string set = Path.Combine(dir.Path, "train", "cars");
        Directory.CreateDirectory(Path.Combine(set, "images"));
        Directory.CreateDirectory(Path.Combine(set, "labels"));
        for (int i = 0; i < 6; i++)
        {
            using var bmp = new SKBitmap(640, 480);
            bmp.Erase(new SKColor(70, 80, 90));
            using (var f = File.Create(Path.Combine(set, "images", $"p{i}.jpg"))) bmp.Encode(f, SKEncodedImageFormat.Jpeg, 90);
            // Two plates: one 120 px wide (may be replaced), one 8 px wide (too small: always kept as it is).
            File.WriteAllLines(Path.Combine(set, "labels", $"p{i}.txt"), ["0 0.5 0.5 0.1875 0.0833", "0 0.1 0.1 0.0125 0.0104"]);
        }
        string Out(string name) => Path.Combine(dir.Path, name);
        var exclude = new HashSet<string> { "cars/p0" };
        var first = RenderedPlates.BuildTraining(Path.Combine(dir.Path, "train"), ["cars"], Out("a"), 11, 0.6, 0.4, exclude);
        var again = RenderedPlates.BuildTraining(Path.Combine(dir.Path, "train"), ["cars"], Out("b"), 11, 0.6, 0.4, exclude);
        // Shares adding up to 1: every large plate is replaced, so every photo but the excluded one is written.
        Assert.Equal((5, 5, 5), first);
        Assert.Equal(first, again);
        var names = Directory.GetFiles(Path.Combine(Out("a"), "rendered-cars", "images")).Select(Path.GetFileNameWithoutExtension).Order().ToList();
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], names);
        foreach (var name in names)
        {
            var labels = File.ReadAllLines(Path.Combine(Out("a"), "rendered-cars", "labels", name + ".txt"));
            Assert.Equal(File.ReadAllLines(Path.Combine(Out("b"), "rendered-cars", "labels", name + ".txt")), labels);
            Assert.Equal(2, labels.Length);
            foreach (var v in labels.SelectMany(l => l.Split(' ').Skip(1)).Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)))
                Assert.InRange(v, 0, 1);
            // The small plate is kept where it was labelled (pixel boxes written back as fractions of the picture).
            var kept = labels[1].Split(' ').Skip(1).Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal([0.1, 0.1, 0.0125, 0.0104], kept.Select(v => Math.Round(v, 4)));
        }
        // Nothing rendered: no photo written.
        Assert.Equal((0, 0, 0), RenderedPlates.BuildTraining(Path.Combine(dir.Path, "train"), ["cars"], Out("c"), 11, 0, 0, exclude));
    }

    [Fact]
    public void A_rendered_plate_is_lit_like_the_plate_it_replaces_not_like_the_bumper_around_it()
    {
        // A white plate on a dark bumper, and a dark plate on a white bumper: after painting out, each box holds the bumper's tone;
        // the rendered plate must take the original plate's light.
        double Rendered(byte plate, byte bumper)
        {
            using var dir = TestEnv.TempDir();
            string photos = Path.Combine(dir.Path, "photos");
            Directory.CreateDirectory(photos);
            using (var bmp = new SKBitmap(640, 480))
            {
                bmp.Erase(new SKColor(bumper, bumper, bumper));
                using (var canvas = new SKCanvas(bmp))
                using (var paint = new SKPaint { Color = new SKColor(plate, plate, plate) })
                    canvas.DrawRect(230, 220, 180, 40, paint);
                using var f = File.Create(Path.Combine(photos, "car.png"));
                bmp.Encode(f, SKEncodedImageFormat.Png, 100);
            }
            File.WriteAllText(Path.Combine(photos, "car.txt"), "car.png\t230\t220\t180\t40\tX\n");
            var built = RenderedPlates.Build([new RenderedPlates.Source(photos, 520)], Path.Combine(dir.Path, "out"), seed: 4, oneLine: true);
            var box = Assert.Single(Assert.Single(built).Plates);
            using var result = SKBitmap.Decode(built[0].Image);
            double sum = 0; int n = 0;
            for (int y = (int)(box.Y + box.H * 0.3); y < box.Y + box.H * 0.7; y++)
                for (int x = (int)(box.X + box.W * 0.3); x < box.X + box.W * 0.7; x++) { var c = result.GetPixel(x, y); sum += (c.Red + c.Green + c.Blue) / 3.0; n++; }
            return sum / n;
        }
        double litPlate = Rendered(plate: 235, bumper: 30), darkPlate = Rendered(plate: 40, bumper: 230);
        // The plate's centre (background and characters) follows the original plate: bright on the dark car, dark on the white one.
        Assert.True(litPlate > 2 * darkPlate, $"lit plate {litPlate:0}, dark plate {darkPlate:0}");
        Assert.InRange(darkPlate, 0, 90);
    }
}
