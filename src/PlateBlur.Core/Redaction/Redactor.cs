using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Redaction;

/// <summary>Covers mask regions in a frame: a strong multi-pass blur, coarse pixelation, or a solid fill.</summary>
public static class Redactor
{
    /// <summary>The padded, frame-clipped box that is actually covered for a mask.</summary>
    public static BoxF Covered(BoxF box, RedactionOptions o, int width, int height)
    {
        var padded = box.Pad(o.Pad, o.MinPadPixels);
        float minH = padded.W * o.MinHeightRatio;
        if (padded.H < minH) padded = new BoxF(padded.X, padded.CenterY - minH / 2, padded.W, minH);
        return padded.Clip(width, height);
    }

    public static void Apply(YuvFrame frame, IEnumerable<MaskBox> masks, RedactionOptions o)
    {
        foreach (var m in masks)
        {
            var box = Covered(m.Box, o, frame.Width, frame.Height);
            var r = ToRect(box);
            if (r.IsEmpty) continue;
            var poly = o.Polygon && m.Corners is { Length: 4 } ? PadPolygon(m.Corners, m.Box, o) : null;
            var y = new PlaneView(frame.Y, frame.Width, frame.Height, frame.Width, 1, 0);
            Cover(y, r, o.Mode, 16, poly, 1);
            var rc = new RectI(r.X0 / 2, r.Y0 / 2, (r.X1 + 1) / 2, (r.Y1 + 1) / 2);
            Cover(new PlaneView(frame.U, frame.ChromaWidth, frame.ChromaHeight, frame.ChromaWidth, 1, 0), rc, o.Mode, 128, poly, 2);
            Cover(new PlaneView(frame.V, frame.ChromaWidth, frame.ChromaHeight, frame.ChromaWidth, 1, 0), rc, o.Mode, 128, poly, 2);
        }
    }

    /// <summary>Covers masks in packed RGBA pixels (photos).</summary>
    public static void Apply(Span<byte> rgba, int width, int height, IEnumerable<MaskBox> masks, RedactionOptions o)
    {
        foreach (var m in masks)
        {
            var r = ToRect(Covered(m.Box, o, width, height));
            if (r.IsEmpty) continue;
            var poly = o.Polygon && m.Corners is { Length: 4 } ? PadPolygon(m.Corners, m.Box, o) : null;
            for (int c = 0; c < 3; c++)
                Cover(new PlaneView(rgba, width, height, width * 4, 4, c), r, o.Mode, 0, poly, 1);
        }
    }

    public static RectI ToRect(BoxF b) =>
        new((int)MathF.Floor(b.X), (int)MathF.Floor(b.Y), (int)MathF.Ceiling(b.Right), (int)MathF.Ceiling(b.Bottom));

    /// <summary>Grows the corner quadrilateral about its centre by the same margin the box padding gives.</summary>
    public static PointF[] PadPolygon(PointF[] corners, BoxF box, RedactionOptions o)
    {
        float cx = corners.Average(c => c.X), cy = corners.Average(c => c.Y);
        float mx = Math.Max(box.W * o.Pad, o.MinPadPixels), my = Math.Max(box.H * o.Pad, o.MinPadPixels);
        return corners.Select(c =>
        {
            float dx = c.X - cx, dy = c.Y - cy;
            return new PointF(c.X + Math.Sign(dx) * mx, c.Y + Math.Sign(dy) * my);
        }).ToArray();
    }

    private static void Cover(PlaneView p, RectI r, RedactionMode mode, byte fill, PointF[]? poly, int subsample)
    {
        r = new RectI(Math.Max(0, r.X0), Math.Max(0, r.Y0), Math.Min(p.Width, r.X1), Math.Min(p.Height, r.Y1));
        if (r.IsEmpty) return;
        byte[]? original = null;
        if (poly != null)
        {
            original = new byte[r.W * r.H];
            for (int y = 0; y < r.H; y++) for (int x = 0; x < r.W; x++) original[y * r.W + x] = p.At(r.X0 + x, r.Y0 + y);
        }
        switch (mode)
        {
            case RedactionMode.Blur: Blur(p, r); break;
            case RedactionMode.Pixelate: Pixelate(p, r); break;
            default:
                for (int y = r.Y0; y < r.Y1; y++) for (int x = r.X0; x < r.X1; x++) p.At(x, y) = fill;
                break;
        }
        if (original != null)
        {
            for (int y = 0; y < r.H; y++)
                for (int x = 0; x < r.W; x++)
                    if (!Inside(poly!, (r.X0 + x + 0.5f) * subsample, (r.Y0 + y + 0.5f) * subsample, subsample))
                        p.At(r.X0 + x, r.Y0 + y) = original[y * r.W + x];
        }
    }

    /// <summary>Point-in-quadrilateral test with a tolerance of one (subsampled) pixel, so chroma edges stay covered.</summary>
    private static bool Inside(PointF[] poly, float x, float y, int tolerance)
    {
        bool inside = false;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
        {
            if ((poly[i].Y > y) != (poly[j].Y > y) &&
                x < (poly[j].X - poly[i].X) * (y - poly[i].Y) / (poly[j].Y - poly[i].Y) + poly[i].X)
                inside = !inside;
        }
        if (inside || tolerance <= 1) return inside;
        for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++)
            if ((dx != 0 || dy != 0) && Inside(poly, x + dx * tolerance * 0.5f, y + dy * tolerance * 0.5f, 1)) return true;
        return false;
    }

    /// <summary>Three box-blur passes each way (close to a Gaussian) with a radius of a third of the region's short side: characters do not survive.</summary>
    private static void Blur(PlaneView p, RectI r)
    {
        int radius = Math.Max(2, Math.Min(r.W, r.H) / 3);
        int w = r.W, h = r.H;
        var buf = new int[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) buf[y * w + x] = p.At(r.X0 + x, r.Y0 + y);
        var tmp = new int[Math.Max(w, h)];
        for (int pass = 0; pass < 3; pass++)
        {
            for (int y = 0; y < h; y++) BoxLine(buf, y * w, 1, w, radius, tmp);
            for (int x = 0; x < w; x++) BoxLine(buf, x, w, h, radius, tmp);
        }
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) p.At(r.X0 + x, r.Y0 + y) = (byte)Math.Clamp(buf[y * w + x], 0, 255);
    }

    /// <summary>Running-sum box filter along one line, edges clamped inside the region.</summary>
    private static void BoxLine(int[] buf, int start, int stride, int n, int radius, int[] tmp)
    {
        int window = 2 * radius + 1;
        long sum = 0;
        for (int k = -radius; k <= radius; k++) sum += buf[start + Math.Clamp(k, 0, n - 1) * stride];
        for (int i = 0; i < n; i++)
        {
            tmp[i] = (int)((sum + window / 2) / window);
            int add = Math.Min(i + radius + 1, n - 1), remove = Math.Max(i - radius, 0);
            sum += buf[start + add * stride] - buf[start + remove * stride];
        }
        for (int i = 0; i < n; i++) buf[start + i * stride] = tmp[i];
    }

    /// <summary>Square blocks as tall as the region: one row of flat blocks along the plate, too coarse for any character to survive.</summary>
    private static void Pixelate(PlaneView p, RectI r)
    {
        int block = Math.Max(4, Math.Min(r.W, r.H));
        for (int by = r.Y0; by < r.Y1; by += block)
        for (int bx = r.X0; bx < r.X1; bx += block)
        {
            int ex = Math.Min(bx + block, r.X1), ey = Math.Min(by + block, r.Y1);
            int sum = 0, n = 0;
            for (int y = by; y < ey; y++) for (int x = bx; x < ex; x++) { sum += p.At(x, y); n++; }
            byte avg = (byte)(sum / n);
            for (int y = by; y < ey; y++) for (int x = bx; x < ex; x++) p.At(x, y) = avg;
        }
    }
}
