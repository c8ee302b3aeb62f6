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
}
