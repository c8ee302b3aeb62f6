using SkiaSharp;

namespace PlateBlur.Core.Reports;

/// <summary>Picture sheets (QC contact sheets, evaluation galleries) and the drawing helpers PNG charts share
/// (Skia, system fonts; text is simply missing where no font exists). The charts themselves are in PlateBlur.Evaluation.</summary>
public static class Sheets
{
    public static SKFont Font(float size) => new(SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default, size);

    public static void Text(SKCanvas c, string text, float x, float y, float size, SKColor color, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = Font(size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        c.DrawText(text, x, y, align, font, paint);
    }

    public static void Save(SKBitmap bitmap, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        Media.Photo.WriteEncoded(bitmap, file, SKEncodedImageFormat.Png, 100, Path.GetFileName(path));
    }

    /// <summary>Thumbnails in a grid with a caption under each.</summary>
    public static void Sheet(string path, string title, IReadOnlyList<(SKBitmap Image, string Caption)> cells, int columns = 4, int cellWidth = 300)
    {
        int rows = Math.Max(1, (cells.Count + columns - 1) / columns);
        int cellH = cells.Count == 0 ? 100 : cells.Max(x => (int)Math.Ceiling(x.Image.Height * (double)cellWidth / x.Image.Width)) + 22;
        int width = columns * (cellWidth + 8) + 8, height = 44 + rows * (cellH + 8);
        using var bmp = new SKBitmap(width, height);
        using var c = new SKCanvas(bmp);
        c.Clear(new SKColor(0xf4, 0xf4, 0xf4));
        Text(c, title, 8, 28, 16, SKColors.Black);
        using var sampling = new SKPaint { IsAntialias = true };
        for (int i = 0; i < cells.Count; i++)
        {
            var (img, caption) = cells[i];
            float x = 8 + i % columns * (cellWidth + 8), y = 44 + i / columns * (cellH + 8);
            float h = img.Height * (float)cellWidth / img.Width;
            using var image = SKImage.FromBitmap(img);
            c.DrawImage(image, new SKRect(x, y, x + cellWidth, y + h), new SKSamplingOptions(SKFilterMode.Linear), sampling);
            Text(c, caption, x, y + h + 15, 11, SKColors.Black);
        }
        if (cells.Count == 0) Text(c, "(none)", 8, 70, 14, SKColors.Gray);
        Save(bmp, path);
    }

    /// <summary>Copies a region of packed RGBA pixels into a bitmap, drawing boxes (in source pixels) on it.</summary>
    public static SKBitmap Crop(byte[] rgba, int width, int height, Detection.BoxF region, IEnumerable<(Detection.BoxF Box, SKColor Color)> boxes)
    {
        var r = region.Clip(width, height);
        int w = Math.Max(1, (int)r.W), h = Math.Max(1, (int)r.H), x0 = (int)r.X, y0 = (int)r.Y;
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var dst = bmp.GetPixelSpan();
        for (int y = 0; y < h; y++)
            rgba.AsSpan(((y0 + y) * width + x0) * 4, w * 4).CopyTo(dst.Slice(y * w * 4, w * 4));
        using var c = new SKCanvas(bmp);
        foreach (var (box, color) in boxes)
        {
            using var pen = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = Math.Max(1.5f, w / 150f), IsAntialias = true };
            c.DrawRect(box.X - x0, box.Y - y0, box.W, box.H, pen);
        }
        return bmp;
    }
}
