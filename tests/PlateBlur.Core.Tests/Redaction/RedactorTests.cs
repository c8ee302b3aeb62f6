using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Core.Tracking;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Redaction;

public class RedactorTests
{
    /// <summary>Sum of squared Laplacian of luminance inside a box: the detail that makes characters readable.</summary>
    private static double HighFrequencyEnergy(byte[] rgba, int width, BoxF box)
    {
        double e = 0;
        int x0 = (int)box.X + 1, y0 = (int)box.Y + 1, x1 = (int)box.Right - 1, y1 = (int)box.Bottom - 1;
        double L(int x, int y) { int p = (y * width + x) * 4; return 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2]; }
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                double lap = 4 * L(x, y) - L(x - 1, y) - L(x + 1, y) - L(x, y - 1) - L(x, y + 1);
                e += lap * lap;
            }
        return e;
    }

    [SharedTheory]
    [InlineData(RedactionMode.Blur)]
    [InlineData(RedactionMode.Pixelate)]
    [InlineData(RedactionMode.Fill)]
    public void Masked_plate_loses_at_least_90_percent_of_its_high_frequency_energy(RedactionMode mode)
    {
        foreach (var sample in PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu")).Take(5))
        {
            var photo = Photo.Load(sample.Image);
            double before = HighFrequencyEnergy(photo.Rgba, photo.Width, sample.Plate);
            Redactor.Apply(photo.Rgba, photo.Width, photo.Height, [new MaskBox(sample.Plate, 1, MaskKind.Detected)], new RedactionOptions(mode));
            double after = HighFrequencyEnergy(photo.Rgba, photo.Width, sample.Plate);
            Assert.True(before > 0);
            Assert.True(after <= 0.10 * before, $"{Path.GetFileName(sample.Image)} {mode}: energy {after:0} after vs {before:0} before ({after / before:P1} kept)");
        }
    }

    [Fact]
    public void Yuv_blur_covers_the_padded_box_and_leaves_the_rest_untouched()
    {
        using var f = new YuvFrame(64, 48, 0, 0);
        var rng = new Random(3);
        rng.NextBytes(f.Data);
        using var original = f.Clone();
        var o = new RedactionOptions(RedactionMode.Fill, Pad: 0.5f, MinPadPixels: 0);
        Redactor.Apply(f, [new MaskBox(new BoxF(20, 20, 8, 4), 1, MaskKind.Detected)], o);
        // Padded box: 16..32 x 18..26 filled black; everything outside unchanged.
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++)
            {
                bool inside = x >= 16 && x < 32 && y >= 18 && y < 26;
                if (inside) Assert.Equal(16, f.Y[y * 64 + x]);
                else Assert.Equal(original.Y[y * 64 + x], f.Y[y * 64 + x]);
            }
        Assert.Equal(128, f.U[(22 / 2) * 32 + 20 / 2]);
    }

    [Fact]
    public void Polygon_mask_spares_the_corners_of_a_slanted_box_but_never_the_plate()
    {
        var rgba = new byte[100 * 100 * 4];
        Array.Fill(rgba, (byte)200);
        var box = new BoxF(20, 20, 60, 30);
        PointF[] corners = [new(20, 35), new(50, 20), new(80, 35), new(50, 50)]; // a diamond inside the box
        Redactor.Apply(rgba, 100, 100, [new MaskBox(box, 1, MaskKind.Detected, corners)], new RedactionOptions(RedactionMode.Fill, Pad: 0.1f, Polygon: true));
        Assert.Equal(0, rgba[(35 * 100 + 50) * 4]);   // centre covered
        Assert.Equal(0, rgba[(35 * 100 + 22) * 4]);   // left tip covered
        Assert.Equal(200, rgba[(18 * 100 + 18) * 4]); // padded box corner spared
    }
}
