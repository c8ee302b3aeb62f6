namespace PlateBlur.Core.Detection;

/// <summary>How a source region is scaled into a square model input, and back.</summary>
public readonly record struct Letterbox(BoxF Region, int Size, float Scale, float PadX, float PadY)
{
    /// <param name="centered">True: the image is centred with padding on both sides (YOLOv5 style); false: anchored at top-left (YOLOX style).</param>
    /// <param name="maxScale">Upper bound on the scale, so a small region can be placed at its native size instead of enlarged.</param>
    public static Letterbox For(BoxF region, int size, bool centered, float maxScale = float.MaxValue)
    {
        float scale = Math.Min(Math.Min(size / region.W, size / region.H), maxScale);
        float w = MathF.Round(region.W * scale), h = MathF.Round(region.H * scale);
        float padX = centered ? (size - w) / 2 : 0, padY = centered ? (size - h) / 2 : 0;
        return new Letterbox(region, size, scale, MathF.Floor(padX), MathF.Floor(padY));
    }

    public int ContentWidth => (int)MathF.Round(Region.W * Scale);
    public int ContentHeight => (int)MathF.Round(Region.H * Scale);

    /// <summary>Maps a point in model-input pixels back to source pixels.</summary>
    public PointF ToSource(float x, float y) => new((x - PadX) / Scale + Region.X, (y - PadY) / Scale + Region.Y);
}
