namespace PlateBlur.Core.Detection;

/// <summary>How a source region is scaled into a model input of <see cref="Width"/>×<see cref="Height"/> pixels, and back.</summary>
public readonly record struct Letterbox(BoxF Region, int Width, int Height, float Scale, float PadX, float PadY)
{
    /// <summary>A square input of <paramref name="size"/> pixels (fixed-shape models).</summary>
    /// <param name="centered">True: the image is centred with padding on both sides (YOLOv5 style); false: anchored at top-left (YOLOX style).</param>
    /// <param name="maxScale">Upper bound on the scale, so a small region can be placed at its native size instead of enlarged.</param>
    public static Letterbox For(BoxF region, int size, bool centered, float maxScale = float.MaxValue) =>
        For(region, size, centered, maxScale, align: 0);

    /// <summary>The region scaled to fit <paramref name="size"/> on its long side; with <paramref name="align"/> &gt; 0 (models with a dynamic
    /// input shape) the input is only as large as the content plus <paramref name="margin"/> of padding on each side, each side rounded
    /// up to a multiple of <paramref name="align"/> (the network's largest stride), instead of the full square.</summary>
    /// <param name="minSide">Dynamic inputs: at least this many pixels on each side (the content centred in it).</param>
    public static Letterbox For(BoxF region, int size, bool centered, float maxScale, int align, int margin = 0, int minSide = 0)
    {
        float scale = Math.Min(Math.Min(size / region.W, size / region.H), maxScale);
        float w = MathF.Round(region.W * scale), h = MathF.Round(region.H * scale);
        int width = size, height = size;
        if (align > 0)
        {
            width = Math.Min(size, RoundUp(Math.Max((int)w + 2 * margin, minSide), align));
            height = Math.Min(size, RoundUp(Math.Max((int)h + 2 * margin, minSide), align));
        }
        float padX = centered ? (width - w) / 2 : 0, padY = centered ? (height - h) / 2 : 0;
        return new Letterbox(region, width, height, scale, MathF.Floor(padX), MathF.Floor(padY));
    }

    /// <summary><paramref name="v"/> rounded up to a multiple of <paramref name="align"/> (at least one).</summary>
    public static int RoundUp(int v, int align) => Math.Max(align, (v + align - 1) / align * align);
    public int ContentWidth => (int)MathF.Round(Region.W * Scale);
    public int ContentHeight => (int)MathF.Round(Region.H * Scale);

    /// <summary>Maps a point in model-input pixels back to source pixels.</summary>
    public PointF ToSource(float x, float y) => new((x - PadX) / Scale + Region.X, (y - PadY) / Scale + Region.Y);
}
