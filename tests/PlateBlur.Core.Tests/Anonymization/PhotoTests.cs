using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Anonymization;

public class PhotoTests(ModelFixture model) : IClassFixture<ModelFixture>
{
    /// <summary>A little-endian EXIF block with an orientation and a GPS latitude reference.</summary>
    private static byte[] Exif(ushort orientation)
    {
        var t = new List<byte>();
        void U16(int v) { t.Add((byte)v); t.Add((byte)(v >> 8)); }
        void U32(int v) { U16(v & 0xFFFF); U16(v >> 16); }
        t.AddRange("II"u8.ToArray()); U16(42); U32(8);
        U16(2);                                   // IFD0: two entries
        U16(0x0112); U16(3); U32(1); U16(orientation); U16(0);
        U16(0x8825); U16(4); U32(1); U32(8 + 2 + 24 + 4);
        U32(0);
        U16(1);                                   // GPS IFD: latitude ref "N"
        U16(0x0001); U16(2); U32(2); t.Add((byte)'N'); t.Add(0); U16(0);
        U32(0);
        var app1 = new List<byte> { 0xFF, 0xE1 };
        int len = 2 + 6 + t.Count;
        app1.Add((byte)(len >> 8)); app1.Add((byte)len);
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(t);
        return app1.ToArray();
    }

    [SharedFact]
    public async Task Exif_orientation_is_applied_and_location_metadata_removed()
    {
        using var dir = TestEnv.TempDir();
        var sample = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[0];
        var upright = Photo.Load(sample.Image);
        // Store the picture turned a quarter counter-clockwise with orientation 6 ("rotate 90° clockwise to display").
        TestEnv.Ffmpeg($"-i \"{sample.Image}\" -vf transpose=cclock -q:v 2 \"{dir.File("stored.jpg")}\"");
        var jpeg = File.ReadAllBytes(dir.File("stored.jpg"));
        File.WriteAllBytes(dir.File("tagged.jpg"), [.. jpeg[..2], .. Exif(6), .. jpeg[2..]]);
        Assert.Equal(6, Photo.Load(dir.File("tagged.jpg")).SourceOrientation);

        var report = await model.Anonymizer.AnonymizeFileAsync(dir.File("tagged.jpg"), dir.File("out.jpg"), overwrite: false);
        var output = Photo.Load(dir.File("out.jpg"));
        Assert.Equal((upright.Width, upright.Height), (output.Width, output.Height));
        Assert.Equal(1, output.SourceOrientation);
        var bytes = File.ReadAllBytes(dir.File("out.jpg"));
        Assert.Equal(-1, bytes.AsSpan().IndexOf("Exif\0\0"u8));
        // The plate was found where it is in the upright picture.
        var masked = report.Frames.Single().Boxes.Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList();
        Assert.Contains(masked, m => m.IntersectionArea(sample.Plate) >= 0.9 * sample.Plate.Area);
    }

    [SharedTheory]
    [InlineData(".png")]
    [InlineData(".webp")]
    public async Task Png_and_webp_come_out_in_their_own_format(string ext)
    {
        using var dir = TestEnv.TempDir();
        var sample = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-us"))[3];
        TestEnv.Ffmpeg($"-i \"{sample.Image}\" \"{dir.File("in" + ext)}\"");
        var report = await model.Anonymizer.AnonymizeFileAsync(dir.File("in" + ext), dir.File("out" + ext), overwrite: false);
        Assert.Equal(Photo.Load(dir.File("in" + ext)).Format, Photo.Load(dir.File("out" + ext)).Format);
        Assert.True(report.Counts.Masks >= 1);
        Assert.True(File.Exists(dir.File("out" + ext + ".report.json")));
    }
}
