using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using SkiaSharp;

namespace PlateBlur.Core.Tests.Media;

/// <summary>A full disk is an IOException for the caller, never an abort of the process. Skia used to write the encoded image through
/// a managed stream callback; ENOSPC thrown inside it crossed native frames and killed `serve` (exit 134) in the chaos run when the
/// work disk filled while QcSample wrote its sheet. /dev/full answers every write with ENOSPC.</summary>
public class DiskFullTests
{
    private static bool HasDevFull => File.Exists("/dev/full");

    [Fact]
    public void A_sheet_written_to_a_full_disk_throws_an_IOException()
    {
        if (!HasDevFull) { Assert.Fail("/dev/full is missing: this test needs Linux"); return; }
        using var bitmap = new SKBitmap(320, 240);
        using (var c = new SKCanvas(bitmap)) c.Clear(SKColors.OrangeRed);
        var e = Assert.ThrowsAny<IOException>(() => Sheets.Save(bitmap, "/dev/full"));
        Assert.Contains("space", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_photo_saved_to_a_full_disk_throws_an_IOException()
    {
        if (!HasDevFull) { Assert.Fail("/dev/full is missing: this test needs Linux"); return; }
        var rgba = new byte[64 * 48 * 4];
        new Random(7).NextBytes(rgba);
        var photo = new Photo(rgba, 64, 48, SKEncodedImageFormat.Jpeg, 1);
        Assert.ThrowsAny<IOException>(() => photo.Save("/dev/full", SKEncodedImageFormat.Jpeg));
        Assert.ThrowsAny<IOException>(() => photo.Save("/dev/full", SKEncodedImageFormat.Png));
    }
}
