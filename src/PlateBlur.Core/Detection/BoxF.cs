namespace PlateBlur.Core.Detection;

/// <summary>An axis-aligned box in pixels, top-left origin.</summary>
public readonly record struct BoxF(float X, float Y, float W, float H)
{
    public float Right => X + W;
    public float Bottom => Y + H;
    public float Area => Math.Max(0, W) * Math.Max(0, H);
    public float CenterX => X + W / 2;
    public float CenterY => Y + H / 2;

    public static BoxF FromCenter(float cx, float cy, float w, float h) => new(cx - w / 2, cy - h / 2, w, h);
    public static BoxF FromCorners(float x1, float y1, float x2, float y2) => new(x1, y1, x2 - x1, y2 - y1);

    public float IntersectionArea(BoxF o)
    {
        float w = Math.Min(Right, o.Right) - Math.Max(X, o.X);
        float h = Math.Min(Bottom, o.Bottom) - Math.Max(Y, o.Y);
        return w > 0 && h > 0 ? w * h : 0;
    }

    public float Iou(BoxF o)
    {
        float inter = IntersectionArea(o);
        float union = Area + o.Area - inter;
        return union > 0 ? inter / union : 0;
    }

    public BoxF Union(BoxF o) => FromCorners(Math.Min(X, o.X), Math.Min(Y, o.Y), Math.Max(Right, o.Right), Math.Max(Bottom, o.Bottom));

    /// <summary>Grows the box by a fraction of its own width and height on every side, plus a minimum in pixels.</summary>
    public BoxF Pad(float fraction, float minPixels = 0)
    {
        float dx = Math.Max(W * fraction, minPixels), dy = Math.Max(H * fraction, minPixels);
        return new BoxF(X - dx, Y - dy, W + 2 * dx, H + 2 * dy);
    }

    public BoxF Clip(float width, float height)
    {
        float x1 = Math.Clamp(X, 0, width), y1 = Math.Clamp(Y, 0, height);
        float x2 = Math.Clamp(Right, 0, width), y2 = Math.Clamp(Bottom, 0, height);
        return FromCorners(x1, y1, x2, y2);
    }

    public BoxF Lerp(BoxF o, float t) => new(X + (o.X - X) * t, Y + (o.Y - Y) * t, W + (o.W - W) * t, H + (o.H - H) * t);

    public BoxF Offset(float dx, float dy) => this with { X = X + dx, Y = Y + dy };

    public override string ToString() => $"[{X:0.#},{Y:0.#} {W:0.#}x{H:0.#}]";
}

/// <summary>A point in pixels.</summary>
public readonly record struct PointF(float X, float Y);
