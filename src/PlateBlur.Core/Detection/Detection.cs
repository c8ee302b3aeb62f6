namespace PlateBlur.Core.Detection;

/// <summary>A plate (or vehicle) found in a frame: box in source pixels, score, and the plate's four corners when the model gives them.</summary>
public sealed record Detection(BoxF Box, float Score, int ClassId = 0, PointF[]? Corners = null)
{
    public Detection MapBack(Func<float, float, PointF> map)
    {
        var a = map(Box.X, Box.Y);
        var b = map(Box.Right, Box.Bottom);
        return this with
        {
            Box = BoxF.FromCorners(Math.Min(a.X, b.X), Math.Min(a.Y, b.Y), Math.Max(a.X, b.X), Math.Max(a.Y, b.Y)),
            Corners = Corners?.Select(c => map(c.X, c.Y)).ToArray(),
        };
    }
}
