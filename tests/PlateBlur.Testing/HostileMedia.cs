using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace PlateBlur.Testing;

/// <summary>Files an attacker would drop into the inbox: playlists and lists named .mp4, decompression bombs, lying headers.
/// Each is made here from scratch (or from a real clip or photo), so the suite needs nothing but ffmpeg and the shared photos.</summary>
public static class HostileMedia
{
    /// <summary>The cases of the security suite, by name; each writes its file into <paramref name="dir"/> and returns its path.</summary>
    public static readonly string[] Cases =
    [
        "hls-local", "hls-http", "concat-list", "png-bomb", "jpeg-bomb", "zero-size", "huge-claim", "ten-hour-claim", "truncated-moov", "scrambled-jpeg",
    ];

    /// <summary>Makes one case. <paramref name="victim"/> is a real clip elsewhere on disk that a playlist tries to publish;
    /// <paramref name="port"/> a loopback port that must never be contacted.</summary>
    public static string Make(string name, string dir, string victim, int port)
    {
        string path = Path.Combine(dir, name + (name.Contains("jpeg") ? ".jpg" : name is "png-bomb" or "zero-size" or "huge-claim" ? ".png" : ".mp4"));
        switch (name)
        {
            case "hls-local":
                File.WriteAllText(path, $"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:30\n#EXTINF:30.0,\n{victim}\n#EXT-X-ENDLIST\n");
                break;
            case "hls-http":
                File.WriteAllText(path, $"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nhttp://127.0.0.1:{port}/internal/secret.ts\n#EXT-X-ENDLIST\n");
                break;
            case "concat-list":
                File.WriteAllText(path, $"ffconcat version 1.0\nfile '{victim}'\n");
                break;
            case "png-bomb":
                File.WriteAllBytes(path, Png(14_000, 14_000));
                break;
            case "zero-size":
                File.WriteAllBytes(path, Png(0, 0));
                break;
            case "huge-claim":
                File.WriteAllBytes(path, Png(100_000, 100_000));
                break;
            case "jpeg-bomb":
                File.WriteAllBytes(path, JpegClaiming(RealJpeg(), 30_000, 30_000));
                break;
            case "scrambled-jpeg":
                File.WriteAllBytes(path, Scrambled(RealJpeg(), 400));
                break;
            case "ten-hour-claim":
                Clips.Make(path + ".src.mp4", audioCodec: "none", seconds: 1, fps: 10, size: "160x120");
                File.WriteAllBytes(path, ClaimDuration(File.ReadAllBytes(path + ".src.mp4"), 36_000));
                File.Delete(path + ".src.mp4");
                break;
            case "truncated-moov":
                Clips.Make(path + ".src.mp4", seconds: 2, extra: "-movflags +faststart");
                var bytes = File.ReadAllBytes(path + ".src.mp4");
                File.WriteAllBytes(path, bytes[..600]); // the index (moov) is cut in the middle
                File.Delete(path + ".src.mp4");
                break;
            default:
                throw new ArgumentException($"no hostile case '{name}'");
        }
        return path;
    }

    private static byte[] RealJpeg() => File.ReadAllBytes(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[0].Image);

    /// <summary>A valid PNG header claiming any size, with a few bytes of real compressed rows: a decoder would allocate the claim.</summary>
    public static byte[] Png(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        Chunk(ms, "IHDR", ihdr);
        using (var z = new MemoryStream())
        {
            using (var zl = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
                zl.Write(new byte[Math.Min(1 << 20, Math.Max(1, width) * 3 + 1) * 4]);
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        s.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    /// <summary>A real JPEG whose frame header (SOF) is patched to claim another size.</summary>
    public static byte[] JpegClaiming(byte[] jpeg, int width, int height)
    {
        var b = (byte[])jpeg.Clone();
        for (int i = 2; i + 9 < b.Length;)
        {
            if (b[i] != 0xFF) throw new InvalidDataException("JPEG marker expected");
            int marker = b[i + 1];
            int len = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2));
            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 7), (ushort)width);
                return b;
            }
            i += 2 + len;
        }
        throw new InvalidDataException("no SOF marker");
    }

    /// <summary>A real JPEG with <paramref name="count"/> bytes in the middle of its picture data replaced by noise (seeded).</summary>
    public static byte[] Scrambled(byte[] jpeg, int count)
    {
        var b = (byte[])jpeg.Clone();
        var rng = new Random(20261130);
        for (int i = b.Length / 2; i < b.Length / 2 + count; i++) b[i] = (byte)rng.Next(256);
        return b;
    }

    /// <summary>An MP4 whose movie header claims <paramref name="seconds"/> of media (the samples hold one second).</summary>
    public static byte[] ClaimDuration(byte[] mp4, int seconds)
    {
        var b = (byte[])mp4.Clone();
        int i = b.AsSpan().IndexOf("mvhd"u8);
        if (i < 0 || b[i + 4] != 0) throw new InvalidDataException("version-0 mvhd expected");
        uint timescale = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(i + 16));
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(i + 20), checked(timescale * (uint)seconds));
        return b;
    }

    /// <summary>SHA-256 of a file, to prove a source was not touched.</summary>
    public static string Hash(string path) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
