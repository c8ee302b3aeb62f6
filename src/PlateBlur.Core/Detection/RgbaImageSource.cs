namespace PlateBlur.Core.Detection;

/// <summary>Samples packed RGBA pixels (a decoded photo).</summary>
public sealed class RgbaImageSource(byte[] rgba, int width, int height) : IImageSource
{
    public int Width => width;
    public int Height => height;

    public void ResizeToRgb(BoxF region, int dstW, int dstH, Span<byte> rgb)
    {
        using var grid = new SampleGrid(region, dstW, dstH, width, height);
        int tx = grid.Tx, ty = grid.Ty, inverse = grid.Inverse;
        int[] cols = grid.Cols, rows = grid.Rows;
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
}
