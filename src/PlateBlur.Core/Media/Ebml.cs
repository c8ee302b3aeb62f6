using System.Buffers.Binary;

namespace PlateBlur.Core.Media;

/// <summary>The few EBML element ids and encodings that raw-video Matroska pipes need.</summary>
internal static class Ebml
{
    public const uint EbmlHeader = 0x1A45DFA3;
    public const uint Segment = 0x18538067;
    public const uint Info = 0x1549A966;
    public const uint TimecodeScale = 0x2AD7B1;
    public const uint Tracks = 0x1654AE6B;
    public const uint TrackEntry = 0xAE;
    public const uint Video = 0xE0;
    public const uint PixelWidth = 0xB0;
    public const uint PixelHeight = 0xBA;
    public const uint ColourSpace = 0x2EB524;
    public const uint CodecId = 0x86;
    public const uint Cluster = 0x1F43B675;
    public const uint Timecode = 0xE7;
    public const uint SimpleBlock = 0xA3;
    public const uint BlockGroup = 0xA0;
    public const uint Block = 0xA1;
    public const ulong UnknownSize = ulong.MaxValue;

    public static int IdLength(uint id) => id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;

    public static void WriteId(Stream s, uint id)
    {
        for (int i = IdLength(id) - 1; i >= 0; i--) s.WriteByte((byte)(id >> (8 * i)));
    }

    /// <summary>Writes a size as an 8-byte vint, or the unknown-size marker.</summary>
    public static void WriteSize(Stream s, ulong size)
    {
        Span<byte> b = stackalloc byte[8];
        if (size == UnknownSize) { b.Clear(); b[0] = 0x01; b[1..].Fill(0xFF); }
        else { BinaryPrimitives.WriteUInt64BigEndian(b, size); b[0] = 0x01; }
        s.Write(b);
    }

    public static void WriteUInt(Stream s, uint id, ulong value)
    {
        WriteId(s, id); WriteSize(s, 8);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        s.Write(b);
    }

    public static void WriteBytes(Stream s, uint id, ReadOnlySpan<byte> value)
    {
        WriteId(s, id); WriteSize(s, (ulong)value.Length); s.Write(value);
    }

    public static void WriteMaster(Stream s, uint id, Action<Stream> body)
    {
        using var ms = new MemoryStream();
        body(ms);
        WriteId(s, id); WriteSize(s, (ulong)ms.Length);
        ms.Position = 0; ms.CopyTo(s);
    }

    /// <summary>Reads an element id (with its marker bits), or returns false at a clean end of stream.</summary>
    public static bool TryReadId(Stream s, out uint id)
    {
        id = 0;
        int first = s.ReadByte();
        if (first < 0) return false;
        int len = first >= 0x80 ? 1 : first >= 0x40 ? 2 : first >= 0x20 ? 3 : first >= 0x10 ? 4 : 0;
        if (len == 0) throw new InvalidDataException("Bad EBML element id in the frame pipe.");
        id = (uint)first;
        for (int i = 1; i < len; i++) id = (id << 8) | (uint)ReadByteOrThrow(s);
        return true;
    }

    public static ulong ReadSize(Stream s)
    {
        int first = ReadByteOrThrow(s);
        int len = 1;
        while (len <= 8 && (first & (0x80 >> (len - 1))) == 0) len++;
        if (len > 8) throw new InvalidDataException("Bad EBML size in the frame pipe.");
        ulong value = (ulong)(first & (0xFF >> len));
        bool allOnes = value == (ulong)(0xFF >> len);
        for (int i = 1; i < len; i++)
        {
            int b = ReadByteOrThrow(s);
            allOnes &= b == 0xFF;
            value = (value << 8) | (uint)b;
        }
        return allOnes ? UnknownSize : value;
    }

    public static ulong ReadUInt(Stream s, ulong size)
    {
        if (size > 8) throw new InvalidDataException("EBML integer longer than 8 bytes.");
        ulong v = 0;
        for (ulong i = 0; i < size; i++) v = (v << 8) | (uint)ReadByteOrThrow(s);
        return v;
    }

    public static void Skip(Stream s, ulong size)
    {
        Span<byte> buf = stackalloc byte[4096];
        while (size > 0)
        {
            int n = s.Read(buf[..(int)Math.Min((ulong)buf.Length, size)]);
            if (n <= 0) throw new EndOfStreamException("Frame pipe ended inside an element.");
            size -= (ulong)n;
        }
    }

    public static int ReadByteOrThrow(Stream s)
    {
        int b = s.ReadByte();
        if (b < 0) throw new EndOfStreamException("Frame pipe ended inside an element.");
        return b;
    }
}
