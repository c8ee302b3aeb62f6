using System.Buffers;
using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

/// <summary>A frame's luma at full, half and quarter resolution (frames wider than 1920 px start at half resolution).</summary>
public sealed class LumaPyramid : IDisposable
{
    public const int Levels = 3;
    private readonly byte[][] _data = new byte[Levels][];
    private readonly int[] _w = new int[Levels], _h = new int[Levels];

    /// <summary>Frame pixels per level-0 pixel (1, or 2 for frames wider than 1920 px).</summary>
    public int Scale { get; }

    public LumaPyramid(ReadOnlySpan<byte> y, int width, int height, int stride)
    {
        Scale = width > 1920 ? 2 : 1;
        int w0 = width / Scale, h0 = height / Scale;
        _w[0] = w0; _h[0] = h0;
        _data[0] = ArrayPool<byte>.Shared.Rent(w0 * h0);
        if (Scale == 1)
            for (int r = 0; r < h0; r++) y.Slice(r * stride, w0).CopyTo(_data[0].AsSpan(r * w0, w0));
        else
            Halve(y, stride, width, height, _data[0], w0, h0);
        for (int l = 1; l < Levels; l++)
        {
            _w[l] = Math.Max(1, _w[l - 1] / 2); _h[l] = Math.Max(1, _h[l - 1] / 2);
            _data[l] = ArrayPool<byte>.Shared.Rent(_w[l] * _h[l]);
            Halve(_data[l - 1], _w[l - 1], _w[l - 1], _h[l - 1], _data[l], _w[l], _h[l]);
        }
    }

    private static void Halve(ReadOnlySpan<byte> src, int stride, int sw, int sh, byte[] dst, int dw, int dh)
    {
        for (int r = 0; r < dh; r++)
        {
            int r0 = Math.Min(2 * r, sh - 1) * stride, r1 = Math.Min(2 * r + 1, sh - 1) * stride;
            for (int c = 0; c < dw; c++)
            {
                int c0 = Math.Min(2 * c, sw - 1), c1 = Math.Min(2 * c + 1, sw - 1);
                dst[r * dw + c] = (byte)((src[r0 + c0] + src[r0 + c1] + src[r1 + c0] + src[r1 + c1] + 2) >> 2);
            }
        }
    }

    public int Width(int level) => _w[level];
    public int Height(int level) => _h[level];
    public byte[] Data(int level) => _data[level];

    public void Dispose()
    {
        for (int l = 0; l < Levels; l++)
            if (_data[l] != null) { ArrayPool<byte>.Shared.Return(_data[l]); _data[l] = null!; }
    }
}

/// <summary>Where a plate seen in one frame is in another frame: coarse-to-fine block matching of the plate and a little of its
/// surroundings on the luma pyramids, scored by normalised cross-correlation with the plate as it was seen.</summary>
public static class ImageMotion
{
    /// <summary>The best match of <paramref name="box"/> (in <paramref name="from"/>) in <paramref name="to"/>, searched around
    /// <paramref name="guess"/> (the box's expected centre in <paramref name="to"/>), within <paramref name="radius"/> frame pixels.</summary>
    /// <returns>The matched box (same size as <paramref name="box"/>) and its normalised cross-correlation (−1…1; low = nothing like the plate there).</returns>
    public static (BoxF Box, float Score) Match(LumaPyramid from, LumaPyramid to, BoxF box, PointF guess, float radius)
    {
        int s = from.Scale;
        // Template: the plate plus a margin of context (a tiny plate alone is a handful of pixels), at least 16 x 12 level-0 pixels.
        float tw = Math.Max(16, box.W / s * 1.5f), th = Math.Max(12, box.H / s * 2f);
        float cx = box.CenterX / s, cy = box.CenterY / s;
        int w0 = from.Width(0), h0 = from.Height(0);
        int tx = (int)MathF.Round(cx - tw / 2), ty = (int)MathF.Round(cy - th / 2);
        int tW = (int)MathF.Round(tw), tH = (int)MathF.Round(th);
        // Keep the template inside the frame (a plate at the edge is matched by the part that is inside).
        if (tx < 0) { tW += tx; tx = 0; }
        if (ty < 0) { tH += ty; ty = 0; }
        tW = Math.Min(tW, w0 - tx); tH = Math.Min(tH, h0 - ty);
        if (tW < 4 || tH < 4) return (box, -1);
        // Displacement of the template's top-left corner, in level-0 pixels, around the guess.
        int gdx = (int)MathF.Round(guess.X / s - cx), gdy = (int)MathF.Round(guess.Y / s - cy);
        int level = 0;
        while (level < LumaPyramid.Levels - 1 && (tW >> (level + 1)) >= 8 && (tH >> (level + 1)) >= 6) level++;
        // At most ±24 coarse pixels (±96 frame pixels at quarter resolution): the cost stays flat for large plates.
        int r = Math.Clamp((int)MathF.Ceiling(radius / s / (1 << level)), 2, 24);
        int bx = gdx >> level, by = gdy >> level;
        (bx, by) = Search(from, to, level, tx, ty, tW, tH, bx, by, r);
        for (int l = level - 1; l >= 0; l--)
            (bx, by) = Search(from, to, l, tx, ty, tW, tH, bx * 2, by * 2, 2);
        float score = Ncc(from.Data(0), to.Data(0), w0, h0, tx, ty, tW, tH, bx, by);
        return (box.Offset(bx * s, by * s), score);
    }

    /// <summary>The camera's motion from <paramref name="from"/> to <paramref name="to"/> in frame pixels: the median displacement of
    /// a 3 × 3 grid of blocks, matched coarse to fine (a walking pedestrian or a passing car moves a few blocks, not the median).</summary>
    public static PointF Global(LumaPyramid from, LumaPyramid to)
    {
        const int level = LumaPyramid.Levels - 1, bw = 24, bh = 16, r = 10;
        int w = from.Width(level), h = from.Height(level);
        if (w < 3 * bw || h < 3 * bh || to.Width(level) != w || to.Height(level) != h) return default;
        var dxs = new List<int>(9); var dys = new List<int>(9);
        for (int gy = 0; gy < 3; gy++)
            for (int gx = 0; gx < 3; gx++)
            {
                // Block corners at level 0, spread over the middle of each ninth of the frame.
                int x0 = (w * (2 * gx + 1) / 6 - bw / 2) << level, y0 = (h * (2 * gy + 1) / 6 - bh / 2) << level;
                int tW = bw << level, tH = bh << level;
                var (bx, by) = Search(from, to, level, x0, y0, tW, tH, 0, 0, r);
                for (int l = level - 1; l >= 0; l--) (bx, by) = Search(from, to, l, x0, y0, tW, tH, bx * 2, by * 2, 2);
                dxs.Add(bx); dys.Add(by);
            }
        dxs.Sort(); dys.Sort();
        return new PointF(dxs[4] * from.Scale, dys[4] * from.Scale);
    }

    /// <summary>Exhaustive sum of absolute differences over displacements within <paramref name="r"/> of (<paramref name="cx"/>, <paramref name="cy"/>) at one level.</summary>
    private static (int, int) Search(LumaPyramid from, LumaPyramid to, int level, int tx0, int ty0, int tW0, int tH0, int cx, int cy, int r)
    {
        int w = from.Width(level), h = from.Height(level);
        int tx = tx0 >> level, ty = ty0 >> level, tW = Math.Max(1, tW0 >> level), tH = Math.Max(1, tH0 >> level);
        tW = Math.Min(tW, w - tx); tH = Math.Min(tH, h - ty);
        var a = from.Data(level); var b = to.Data(level);
        long best = long.MaxValue; int bx = cx, by = cy;
        // Sample the template on a grid so a large plate costs no more than about 300 pixels per position.
        int stepPx = Math.Max(1, (int)Math.Round(Math.Sqrt(tW * tH / 300.0)));
        for (int dy = cy - r; dy <= cy + r; dy++)
        {
            if (ty + dy < 0 || ty + dy + tH > h) continue;
            for (int dx = cx - r; dx <= cx + r; dx++)
            {
                if (tx + dx < 0 || tx + dx + tW > w) continue;
                long sad = 0;
                for (int y = 0; y < tH && sad <= best; y += stepPx)
                {
                    int ra = (ty + y) * w + tx, rb = (ty + y + dy) * w + tx + dx;
                    for (int x = 0; x < tW; x += stepPx) sad += Math.Abs(a[ra + x] - b[rb + x]);
                }
                // Ties go to the smaller displacement from the guess.
                if (sad < best || (sad == best && Math.Abs(dx - cx) + Math.Abs(dy - cy) < Math.Abs(bx - cx) + Math.Abs(by - cy)))
                {
                    best = sad; bx = dx; by = dy;
                }
            }
        }
        return (bx, by);
    }

    /// <summary>Normalised cross-correlation of the template with the displaced patch; a flat template (no texture) scores 0.</summary>
    private static float Ncc(byte[] a, byte[] b, int w, int h, int tx, int ty, int tW, int tH, int dx, int dy)
    {
        if (tx + dx < 0 || ty + dy < 0 || tx + dx + tW > w || ty + dy + tH > h) return -1;
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0; int n = 0;
        int stepPx = Math.Max(1, (int)Math.Sqrt(tW * tH / 1000.0));
        for (int y = 0; y < tH; y += stepPx)
        {
            int ra = (ty + y) * w + tx, rb = (ty + y + dy) * w + tx + dx;
            for (int x = 0; x < tW; x += stepPx)
            {
                int p = a[ra + x], q = b[rb + x];
                sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q; n++;
            }
        }
        double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
        if (va < n * 4 || vb < n * 4) return 0; // less than 2 grey levels of texture: nothing to recognise
        return (float)((sab - sa * sb / n) / Math.Sqrt(va * vb));
    }
}
