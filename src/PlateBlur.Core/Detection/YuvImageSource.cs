using PlateBlur.Core.Media;

namespace PlateBlur.Core.Detection;

/// <summary>Samples an I420 frame as RGB (BT.601, limited range) without converting the whole frame.</summary>
public sealed class YuvImageSource(YuvFrame frame) : IImageSource
{
    public int Width => frame.Width;
    public int Height => frame.Height;

    public void ResizeToRgb(BoxF region, int dstW, int dstH, Span<byte> rgb)
    {
        var y = frame.Y; var u = frame.U; var v = frame.V;
        int w = frame.Width, h = frame.Height, cw = frame.ChromaWidth;
        float sx = region.W / dstW, sy = region.H / dstH;
        int tx = Sampling.Taps(sx), ty = Sampling.Taps(sy);
        int taps = tx * ty;
        for (int j = 0; j < dstH; j++)
        {
            for (int i = 0; i < dstW; i++)
            {
                int ys = 0, us = 0, vs = 0;
                for (int b = 0; b < ty; b++)
                {
                    int py = (int)(region.Y + (j + (b + 0.5f) / ty) * sy);
                    py = py < 0 ? 0 : py >= h ? h - 1 : py;
                    int rowY = py * w, rowC = (py >> 1) * cw;
                    for (int a = 0; a < tx; a++)
                    {
                        int px = (int)(region.X + (i + (a + 0.5f) / tx) * sx);
                        px = px < 0 ? 0 : px >= w ? w - 1 : px;
                        ys += y[rowY + px];
                        us += u[rowC + (px >> 1)];
                        vs += v[rowC + (px >> 1)];
                    }
                }
                int c = (ys / taps - 16) * 298, d = us / taps - 128, e = vs / taps - 128;
                int o = (j * dstW + i) * 3;
                rgb[o] = Sampling.Clamp((c + 409 * e + 128) >> 8);
                rgb[o + 1] = Sampling.Clamp((c - 100 * d - 208 * e + 128) >> 8);
                rgb[o + 2] = Sampling.Clamp((c + 516 * d + 128) >> 8);
            }
        }
    }
}
