using SkiaSharp;

namespace PlateBlur.Core.Reports;

/// <summary>One line of a chart: a name, a colour and points (x, y).</summary>
public sealed record Series(string Name, SKColor Color, IReadOnlyList<(double X, double Y)> Points);

/// <summary>Small PNG charts and picture sheets for reports (Skia, system fonts; text is simply missing where no font exists).</summary>
public static class Charts
{
    public static readonly SKColor[] Palette = [new(0x1f, 0x77, 0xb4), new(0xd6, 0x27, 0x28), new(0x2c, 0xa0, 0x2c), new(0xff, 0x7f, 0x0e), new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b)];

    internal static SKFont Font(float size) => new(SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default, size);

    internal static void Text(SKCanvas c, string text, float x, float y, float size, SKColor color, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = Font(size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        c.DrawText(text, x, y, align, font, paint);
    }

    public static void Save(SKBitmap bitmap, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
    }

    /// <summary>A line chart with axes from 0 to the data's range (y fixed to [yMin, yMax]).</summary>
    public static void LineChart(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, double yMin = 0, double yMax = 1, int width = 900, int height = 560)
    {
        using var bmp = new SKBitmap(width, height);
        using var c = new SKCanvas(bmp);
        c.Clear(SKColors.White);
        float left = 70, right = width - 190, top = 50, bottom = height - 60;
        double xMin = series.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(0).Min();
        double xMax = series.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(1).Max();
        if (xMax <= xMin) xMax = xMin + 1;
        float X(double x) => (float)(left + (x - xMin) / (xMax - xMin) * (right - left));
        float Y(double y) => (float)(bottom - (Math.Clamp(y, yMin, yMax) - yMin) / (yMax - yMin) * (bottom - top));
        using var grid = new SKPaint { Color = new SKColor(0xdd, 0xdd, 0xdd), StrokeWidth = 1 };
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f };
        for (int i = 0; i <= 10; i++)
        {
            double yv = yMin + (yMax - yMin) * i / 10;
            c.DrawLine(left, Y(yv), right, Y(yv), grid);
            Text(c, yv.ToString(yMax <= 1 ? "0.0" : "0"), left - 8, Y(yv) + 4, 12, SKColors.Black, SKTextAlign.Right);
            double xv = xMin + (xMax - xMin) * i / 10;
            c.DrawLine(X(xv), top, X(xv), bottom, grid);
            Text(c, xv.ToString(xMax - xMin <= 2 ? "0.00" : "0"), X(xv), bottom + 18, 12, SKColors.Black, SKTextAlign.Center);
        }
        c.DrawLine(left, bottom, right, bottom, axis);
        c.DrawLine(left, top, left, bottom, axis);
        Text(c, title, width / 2f, 28, 18, SKColors.Black, SKTextAlign.Center);
        Text(c, xLabel, (left + right) / 2, height - 18, 14, SKColors.Black, SKTextAlign.Center);
        c.Save(); c.RotateDegrees(-90, 18, (top + bottom) / 2);
        Text(c, yLabel, 18, (top + bottom) / 2, 14, SKColors.Black, SKTextAlign.Center);
        c.Restore();
        float ly = top + 10;
        foreach (var s in series)
        {
            using var pen = new SKPaint { Color = s.Color, StrokeWidth = 2.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var path2 = new SKPath();
            for (int i = 0; i < s.Points.Count; i++)
            {
                var (x, y) = s.Points[i];
                if (i == 0) path2.MoveTo(X(x), Y(y)); else path2.LineTo(X(x), Y(y));
            }
            c.DrawPath(path2, pen);
            c.DrawLine(right + 15, ly, right + 40, ly, pen);
            Text(c, s.Name, right + 46, ly + 5, 13, SKColors.Black);
            ly += 22;
        }
        Save(bmp, path);
    }

    /// <summary>Rows of cells coloured per frame (e.g. covered / leaked / no plate), one row per track or clip, with a label each.</summary>
    public static void StripChart(string path, string title, IReadOnlyList<(string Label, IReadOnlyList<SKColor> Cells)> rows, IReadOnlyList<(string Name, SKColor Color)> legend, int width = 1200)
    {
        int labelW = 330, rowH = 18, gap = 6, top = 50;
        int height = top + rows.Count * (rowH + gap) + 50;
        using var bmp = new SKBitmap(width, height);
        using var c = new SKCanvas(bmp);
        c.Clear(SKColors.White);
        Text(c, title, width / 2f, 28, 16, SKColors.Black, SKTextAlign.Center);
        float y = top;
        foreach (var (label, cells) in rows)
        {
            Text(c, label, 8, y + rowH - 4, 12, SKColors.Black);
            float cellW = (float)(width - labelW - 10) / Math.Max(cells.Count, 1);
            for (int i = 0; i < cells.Count; i++)
            {
                using var p = new SKPaint { Color = cells[i] };
                c.DrawRect(labelW + i * cellW, y, Math.Max(cellW, 1), rowH, p);
            }
            y += rowH + gap;
        }
        float lx = 8;
        foreach (var (name, color) in legend)
        {
            using var p = new SKPaint { Color = color };
            c.DrawRect(lx, height - 30, 14, 14, p);
            Text(c, name, lx + 20, height - 18, 12, SKColors.Black);
            lx += 40 + name.Length * 7;
        }
        Save(bmp, path);
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
