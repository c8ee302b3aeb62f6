using System.Buffers;

namespace PlateBlur.Core.Media;

/// <summary>One decoded video frame in planar YUV 4:2:0 (I420), with its index and presentation time.</summary>
public sealed class YuvFrame : IDisposable
{
    private byte[]? _buffer;

    public YuvFrame(int width, int height, long index, long ptsNs)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Frame size {width}x{height} must be positive.");
        Width = width; Height = height; Index = index; PtsNs = ptsNs;
        _buffer = ArrayPool<byte>.Shared.Rent(SizeOf(width, height));
        int live = Interlocked.Increment(ref _live);
        int peak;
        while (live > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, live, peak) != peak) { }
    }

    private static int _live, _peak;

    /// <summary>Frames allocated and not yet disposed, in this process.</summary>
    public static int Live => Volatile.Read(ref _live);

    /// <summary>The most frames alive at once since <see cref="ResetPeak"/>: what bounds the pipeline's memory.</summary>
    public static int PeakLive => Volatile.Read(ref _peak);

    public static void ResetPeak() => Volatile.Write(ref _peak, Live);

    public int Width { get; }
    public int Height { get; }
    public long Index { get; set; }
    public long PtsNs { get; set; }
    public int ChromaWidth => (Width + 1) / 2;
    public int ChromaHeight => (Height + 1) / 2;

    public static int SizeOf(int width, int height) => width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2);

    public Span<byte> Data => (_buffer ?? throw new ObjectDisposedException(nameof(YuvFrame))).AsSpan(0, SizeOf(Width, Height));
    public Span<byte> Y => Data[..(Width * Height)];
    public Span<byte> U => Data.Slice(Width * Height, ChromaWidth * ChromaHeight);
    public Span<byte> V => Data.Slice(Width * Height + ChromaWidth * ChromaHeight, ChromaWidth * ChromaHeight);

    public YuvFrame Clone()
    {
        var copy = new YuvFrame(Width, Height, Index, PtsNs);
        Data.CopyTo(copy.Data);
        return copy;
    }

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b == null) return;
        ArrayPool<byte>.Shared.Return(b);
        Interlocked.Decrement(ref _live);
    }
}
