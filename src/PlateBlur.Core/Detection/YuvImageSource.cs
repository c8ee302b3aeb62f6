using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PlateBlur.Core.Media;

namespace PlateBlur.Core.Detection;

/// <summary>Samples an I420 frame as RGB (BT.601, limited range) without converting the whole frame.</summary>
public sealed class YuvImageSource(YuvFrame frame) : IImageSource
{
    public int Width => frame.Width;
    public int Height => frame.Height;

    public void ResizeToRgb(BoxF region, int dstW, int dstH, Span<byte> rgb)
    {
        if (rgb.Length < 3 * dstW * dstH) throw new ArgumentException($"{rgb.Length} bytes cannot hold {dstW}x{dstH} RGB.", nameof(rgb));
        int w = frame.Width, cw = frame.ChromaWidth;
        using var grid = new SampleGrid(region, dstW, dstH, w, frame.Height);
        int tx = grid.Tx, ty = grid.Ty, inverse = grid.Inverse;
        int[] rows = grid.Rows;
        ref byte y = ref MemoryMarshal.GetReference(frame.Y);
        ref byte u = ref MemoryMarshal.GetReference(frame.U);
        ref byte v = ref MemoryMarshal.GetReference(frame.V);
        ref byte o = ref MemoryMarshal.GetReference(rgb);
        ref int col0 = ref MemoryMarshal.GetArrayDataReference(grid.Cols);
        // Every index below comes from the grid (clamped to the frame) or from the checked rgb length.
        for (int j = 0; j < dstH; j++)
        {
            ref byte dst = ref Unsafe.Add(ref o, j * dstW * 3);
            if (grid.Taps == 1)
            {
                int py = rows[j];
                ref byte rowY = ref Unsafe.Add(ref y, py * w);
                int rowC = (py >> 1) * cw;
                for (int i = 0; i < dstW; i++)
                {
                    int px = Unsafe.Add(ref col0, i);
                    Put(ref Unsafe.Add(ref dst, 3 * i), Unsafe.Add(ref rowY, px),
                        Unsafe.Add(ref u, rowC + (px >> 1)), Unsafe.Add(ref v, rowC + (px >> 1)));
                }
                continue;
            }
            for (int i = 0; i < dstW; i++)
            {
                int ys = 0, us = 0, vs = 0;
                for (int b = 0; b < ty; b++)
                {
                    int py = rows[j * ty + b];
                    int rowY = py * w, rowC = (py >> 1) * cw;
                    for (int a = 0; a < tx; a++)
                    {
                        int px = Unsafe.Add(ref col0, i * tx + a);
                        ys += Unsafe.Add(ref y, rowY + px);
                        us += Unsafe.Add(ref u, rowC + (px >> 1));
                        vs += Unsafe.Add(ref v, rowC + (px >> 1));
                    }
                }
                Put(ref Unsafe.Add(ref dst, 3 * i), (ys * inverse) >> 16, (us * inverse) >> 16, (vs * inverse) >> 16);
            }
        }
    }

    /// <summary>0–255 clamping by table instead of branches (colour edges made the branches unpredictable): entry
    /// <c>v + ClampOffset</c> is v clamped, for every v the conversion below can give from bytes (−277 to 534).</summary>
    private static readonly byte[] ClampTable = [.. Enumerable.Range(-ClampOffset, 3 * ClampOffset).Select(v => Sampling.Clamp(v))];
    private const int ClampOffset = 512;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref byte rgb, int y, int u, int v)
    {
        int c = (y - 16) * 298 + 128, d = u - 128, e = v - 128;
        ref byte clamp = ref MemoryMarshal.GetArrayDataReference(ClampTable);
        rgb = Unsafe.Add(ref clamp, ((c + 409 * e) >> 8) + ClampOffset);
        Unsafe.Add(ref rgb, 1) = Unsafe.Add(ref clamp, ((c - 100 * d - 208 * e) >> 8) + ClampOffset);
        Unsafe.Add(ref rgb, 2) = Unsafe.Add(ref clamp, ((c + 516 * d) >> 8) + ClampOffset);
    }
}
