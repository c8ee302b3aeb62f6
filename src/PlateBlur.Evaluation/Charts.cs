using PlateBlur.Core.Reports;
using SkiaSharp;
using static PlateBlur.Core.Reports.Sheets;

namespace PlateBlur.Evaluation;

/// <summary>One line of a chart: a name, a colour and points (x, y).</summary>
public sealed record Series(string Name, SKColor Color, IReadOnlyList<(double X, double Y)> Points);

/// <summary>Small PNG charts for evaluation reports (Skia, system fonts; text is simply missing where no font exists).</summary>
public static class Charts
{
    public static readonly SKColor[] Palette = [new(0x1f, 0x77, 0xb4), new(0xd6, 0x27, 0x28), new(0x2c, 0xa0, 0x2c), new(0xff, 0x7f, 0x0e), new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b)];

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
        // The label column fits the longest label ("clip.mp4 @10fps (every 2): 0/94 leaked"), up to half the width.
        float longest;
        using (var font = Sheets.Font(12)) longest = rows.Select(r => font.MeasureText(r.Label)).DefaultIfEmpty(0).Max();
        int labelW = (int)Math.Clamp(longest + 20, 330, width / 2), rowH = 18, gap = 6, top = 50;
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
}
