using System.Buffers;

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
        int taps = tx * ty, inverse = Sampling.Inverse(taps);
        int[] cols = ArrayPool<int>.Shared.Rent(dstW * tx), rows = ArrayPool<int>.Shared.Rent(dstH * ty);
        try
        {
            Sampling.Positions(region.X, sx, dstW, tx, width, cols);
            Sampling.Positions(region.Y, sy, dstH, ty, height, rows);
            for (int j = 0; j < dstH; j++)
            {
                for (int i = 0; i < dstW; i++)
                {
                    int r = 0, g = 0, b = 0;
                    for (int bb = 0; bb < ty; bb++)
                    {
                        int row = rows[j * ty + bb] * width;
                        for (int a = 0; a < tx; a++)
                        {
                            int p = (row + cols[i * tx + a]) * 4;
                            r += rgba[p]; g += rgba[p + 1]; b += rgba[p + 2];
                        }
                    }
                    int o = (j * dstW + i) * 3;
                    rgb[o] = (byte)((r * inverse) >> 16); rgb[o + 1] = (byte)((g * inverse) >> 16); rgb[o + 2] = (byte)((b * inverse) >> 16);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(cols);
            ArrayPool<int>.Shared.Return(rows);
        }
    }
}
