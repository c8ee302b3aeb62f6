using SkiaSharp;

namespace PlateBlur.Core.Media;

/// <summary>A decoded photo as upright RGBA pixels (EXIF orientation applied).</summary>
public sealed class Photo
{
    public Photo(byte[] rgba, int width, int height, SKEncodedImageFormat format, int orientation)
    {
        Rgba = rgba; Width = width; Height = height; Format = format; SourceOrientation = orientation;
    }

    public byte[] Rgba { get; }
    public int Width { get; }
    public int Height { get; }
    public SKEncodedImageFormat Format { get; }
    /// <summary>The EXIF orientation (1–8) the source carried; the pixels are already turned upright.</summary>
    public int SourceOrientation { get; }

    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp"];

    public static bool IsPhotoExtension(string ext) => Extensions.Contains(ext.ToLowerInvariant());

    public static Photo Load(string path)
    {
        using var codec = SKCodec.Create(path, out var result)
            ?? throw new MediaException(MediaError.NotMedia, $"{Path.GetFileName(path)} is not a photo that can be decoded ({result}).");
        var format = codec.EncodedFormat;
        if (format is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png or SKEncodedImageFormat.Webp))
            throw new MediaException(MediaError.UnsupportedFormat, $"{Path.GetFileName(path)} is {format}; photos must be JPEG, PNG or WebP.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if ((long)info.Width * info.Height > 200_000_000)
            throw new MediaException(MediaError.TooLarge, $"{Path.GetFileName(path)} is {info.Width}x{info.Height}: larger than 200 megapixels.");
        var pixels = new byte[info.BytesSize];
        var r = codec.GetPixels(info, pixels);
        if (r == SKCodecResult.IncompleteInput)
            throw new MediaException(MediaError.Truncated, $"{Path.GetFileName(path)} is truncated: the picture data ends early.");
        if (r != SKCodecResult.Success)
            throw new MediaException(MediaError.Corrupt, $"{Path.GetFileName(path)} cannot be decoded ({r}).");
        int orientation = (int)codec.EncodedOrigin;
        var (upright, w, h) = Orient(pixels, info.Width, info.Height, orientation);
        return new Photo(upright, w, h, format, orientation);
    }

    /// <summary>Turns stored pixels upright according to an EXIF orientation value.</summary>
    public static (byte[] Pixels, int Width, int Height) Orient(byte[] src, int w, int h, int orientation)
    {
        if (orientation is <= 1 or > 8) return (src, w, h);
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new byte[src.Length];
        var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(src);
        var d = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(dst.AsSpan());
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            var (sx, sy) = orientation switch
            {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x),
            };
            d[y * ow + x] = s[sy * w + sx];
        }
        return (dst, ow, oh);
    }

    public static SKEncodedImageFormat FormatFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
        ".png" => SKEncodedImageFormat.Png,
        ".webp" => SKEncodedImageFormat.Webp,
        var e => throw new MediaException(MediaError.UnsupportedFormat, $"Output extension '{e}' is not a photo format (use .jpg, .png or .webp)."),
    };

    /// <summary>Encodes the pixels without any metadata: EXIF (with GPS and thumbnails) is not carried over.</summary>
    public void Save(string path, SKEncodedImageFormat format, int quality = 92)
    {
        using var file = File.Create(path);
        Encode(file, format, quality, Path.GetFileName(path));
    }

    public void Encode(Stream output, SKEncodedImageFormat format, int quality = 92, string name = "photo")
    {
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Rgba.AsSpan().CopyTo(bitmap.GetPixelSpan());
        WriteEncoded(bitmap, output, format, quality, name);
    }

    /// <summary>Encodes in memory, then writes with managed code. Skia must never write to a managed stream itself: an exception thrown
    /// inside its write callback (ENOSPC, EACCES) crosses native frames and aborts the whole process instead of failing this call.</summary>
    public static void WriteEncoded(SKBitmap bitmap, Stream output, SKEncodedImageFormat format, int quality, string name)
    {
        using var data = bitmap.Encode(format, quality)
            ?? throw new MediaException(MediaError.EncodeFailed, $"Encoding {name} as {format} failed.");
        output.Write(data.AsSpan());
        output.Flush();
    }
}
