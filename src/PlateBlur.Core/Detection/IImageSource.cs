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
internal static class Sampling
{
    /// <summary>Sub-samples per axis: enough to average over the footprint of one destination pixel, at most 4.</summary>
    public static int Taps(float step) => Math.Clamp((int)MathF.Ceiling(step), 1, 4);

    public static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
}
