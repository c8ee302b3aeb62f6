using System.Buffers;

namespace PlateBlur.Core.Detection;

/// <summary>A picture the detector can sample: any region resized to packed RGB.</summary>
public interface IImageSource
{
    int Width { get; }
    int Height { get; }

    /// <summary>Resizes <paramref name="region"/> (source pixels) into <paramref name="dstW"/>×<paramref name="dstH"/> packed RGB, averaging when shrinking.</summary>
    void ResizeToRgb(BoxF region, int dstW, int dstH, Span<byte> rgb);
}

/// <summary>Sampling helpers shared by the image sources.</summary>
public static class Sampling
{
    /// <summary>Sub-samples per axis: enough to average over the footprint of one destination pixel, at most 4.</summary>
    public static int Taps(float step) => Math.Clamp((int)MathF.Ceiling(step), 1, 4);

    public static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    /// <summary>Multiplier for dividing a sum of up to 16 byte samples by <paramref name="taps"/> (1–16) without a division:
    /// <c>(sum * Inverse(taps)) &gt;&gt; 16 == sum / taps</c> exactly for every sum ≤ 16 × 255 (the rounding error of the
    /// multiplier, under taps / 2^16 per unit, stays below the 1 / taps gap to the next integer). Three integer divisions per
    /// output pixel were most of the cost of shrinking a frame.</summary>
    public static int Inverse(int taps) => (65536 + taps - 1) / taps;

    /// <summary>The source coordinate of every sub-sample along one axis: for destination pixel i and tap a,
    /// <c>positions[i * taps + a] = clamp((int)(start + (i + (a + 0.5) / taps) * step), 0, limit - 1)</c>.</summary>
    /// <remarks>Computed once per resize instead of once per pixel and tap (the same float expression, so the same samples): the per-pixel
    /// loops then only gather. For a 720p frame this took the two passes' sampling from about 14 and 19 ms to a few ms.</remarks>
    public static void Positions(float start, float step, int count, int taps, int limit, Span<int> positions)
    {
        for (int i = 0; i < count; i++)
            for (int a = 0; a < taps; a++)
            {
                int p = (int)(start + (i + (a + 0.5f) / taps) * step);
                positions[i * taps + a] = p < 0 ? 0 : p >= limit ? limit - 1 : p;
            }
    }
}

/// <summary>Where one resize of <c>region</c> into <c>dstW</c>×<c>dstH</c> samples a <c>width</c>×<c>height</c> picture: the taps per
/// axis, the multiplier that averages them (<see cref="Sampling.Inverse"/>), and every sub-sample's column (<see cref="Cols"/>,
/// <c>[i * Tx + a]</c>) and row (<see cref="Rows"/>, <c>[j * Ty + b]</c>), clamped to the picture. Shared by the image sources;
/// the arrays are rented and go back on <see cref="Dispose"/>.</summary>
public readonly struct SampleGrid : IDisposable
{
    public readonly int Tx, Ty, Inverse;
    public readonly int[] Cols, Rows;

    public SampleGrid(BoxF region, int dstW, int dstH, int width, int height)
    {
        float sx = region.W / dstW, sy = region.H / dstH;
        Tx = Sampling.Taps(sx);
        Ty = Sampling.Taps(sy);
        Inverse = Sampling.Inverse(Tx * Ty);
        Cols = ArrayPool<int>.Shared.Rent(dstW * Tx);
        Rows = ArrayPool<int>.Shared.Rent(dstH * Ty);
        Sampling.Positions(region.X, sx, dstW, Tx, width, Cols);
        Sampling.Positions(region.Y, sy, dstH, Ty, height, Rows);
    }

    public int Taps => Tx * Ty;

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(Cols);
        ArrayPool<int>.Shared.Return(Rows);
    }
}
