namespace PlateBlur.Core.Redaction;

/// <summary>One 8-bit channel of an image: a planar Y/U/V plane (step 1) or a channel of packed RGBA (step 4).</summary>
public readonly ref struct PlaneView(Span<byte> data, int width, int height, int stride, int step, int offset)
{
    public readonly Span<byte> Data = data;
    public readonly int Width = width, Height = height, Stride = stride, Step = step, Offset = offset;

    public ref byte At(int x, int y) => ref Data[y * Stride + x * Step + Offset];
}

/// <summary>An integer pixel rectangle, half-open.</summary>
public readonly record struct RectI(int X0, int Y0, int X1, int Y1)
{
    public int W => X1 - X0;
    public int H => Y1 - Y0;
    public bool IsEmpty => W <= 0 || H <= 0;
}
