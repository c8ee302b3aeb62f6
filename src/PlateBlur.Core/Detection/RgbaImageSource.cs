namespace PlateBlur.Core.Detection;

/// <summary>Samples packed RGBA pixels (a decoded photo).</summary>
public sealed class RgbaImageSource(byte[] rgba, int width, int height) : IImageSource
{
    public int Width => width;
    public int Height => height;

    public void ResizeToRgb(BoxF region, int dstW, int dstH, Span<byte> rgb)
    {
        float sx = region.W / dstW, sy = region.H / dstH;
        int tx = Sampling.Taps(sx), ty = Sampling.Taps(sy);
        int taps = tx * ty;
        for (int j = 0; j < dstH; j++)
        {
            for (int i = 0; i < dstW; i++)
            {
                int r = 0, g = 0, b = 0;
                for (int bb = 0; bb < ty; bb++)
                {
                    int py = Math.Clamp((int)(region.Y + (j + (bb + 0.5f) / ty) * sy), 0, height - 1);
                    for (int a = 0; a < tx; a++)
                    {
                        int px = Math.Clamp((int)(region.X + (i + (a + 0.5f) / tx) * sx), 0, width - 1);
                        int p = (py * width + px) * 4;
                        r += rgba[p]; g += rgba[p + 1]; b += rgba[p + 2];
                    }
                }
                int o = (j * dstW + i) * 3;
                rgb[o] = (byte)(r / taps); rgb[o + 1] = (byte)(g / taps); rgb[o + 2] = (byte)(b / taps);
            }
        }
    }
}
