namespace PlateBlur.Core.Detection;

/// <summary>Presents a stored frame the way players show it (turned counter-clockwise by the display rotation), so plates are upright for the model.</summary>
public sealed class RotatedImageSource(IImageSource stored, int rotation) : IImageSource
{
    public int Width => rotation is 90 or 270 ? stored.Height : stored.Width;
    public int Height => rotation is 90 or 270 ? stored.Width : stored.Height;

    /// <summary>Maps a display point to the stored frame.</summary>
    public PointF ToStored(float x, float y) => rotation switch
    {
        90 => new PointF(stored.Width - y, x),
        180 => new PointF(stored.Width - x, stored.Height - y),
        270 => new PointF(y, stored.Height - x),
        _ => new PointF(x, y),
    };

    public BoxF ToStored(BoxF b)
    {
        var p = ToStored(b.X, b.Y); var q = ToStored(b.Right, b.Bottom);
        return BoxF.FromCorners(Math.Min(p.X, q.X), Math.Min(p.Y, q.Y), Math.Max(p.X, q.X), Math.Max(p.Y, q.Y));
    }

    public void ResizeToRgb(BoxF region, int dstW, int dstH, Span<byte> rgb)
    {
        if (rotation == 0) { stored.ResizeToRgb(region, dstW, dstH, rgb); return; }
        bool swap = rotation is 90 or 270;
        int sw = swap ? dstH : dstW, sh = swap ? dstW : dstH;
        // Its own buffer per call: the detector's lanes sample one frame from two threads at once.
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(sw * sh * 3);
        try
        {
            stored.ResizeToRgb(ToStored(region), sw, sh, buffer);
            for (int j = 0; j < dstH; j++)
            for (int i = 0; i < dstW; i++)
            {
                var (bx, by) = rotation switch
                {
                    90 => (sw - 1 - j, i),
                    180 => (dstW - 1 - i, dstH - 1 - j),
                    _ => (j, sh - 1 - i),
                };
                int s = (by * sw + bx) * 3, d = (j * dstW + i) * 3;
                rgb[d] = buffer[s]; rgb[d + 1] = buffer[s + 1]; rgb[d + 2] = buffer[s + 2];
            }
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }
}
