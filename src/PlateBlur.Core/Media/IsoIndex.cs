using System.Buffers.Binary;
using System.Text;

namespace PlateBlur.Core.Media;

/// <summary>An MP4/MOV file's top-level box layout and one track's sync-sample table, read from the box headers without touching the media data.
/// With it the pipeline builds a local stand-in of a blob (its boxes but the media data, which stays a hole of zeros) on which ffprobe reads
/// the same streams and packet timeline as on the whole file, so the timeline costs the index's bytes instead of the whole source.</summary>
public static class IsoIndex
{
    /// <summary>One top-level box: where it starts, its size and its four-character type.</summary>
    public sealed record Box(long Offset, long Size, string Type);

    /// <summary>The top-level box at <paramref name="offset"/> from its first bytes (8, or 16 for a 64-bit size), or null when the header is not
    /// a plausible box (unprintable type, size under its header or past the end of a file of <paramref name="length"/> bytes).</summary>
    public static Box? ReadHeader(ReadOnlySpan<byte> header, long offset, long length)
    {
        if (header.Length < 8) return null;
        long size = BinaryPrimitives.ReadUInt32BigEndian(header);
        int headerSize = 8;
        if (size == 1)
        {
            if (header.Length < 16) return null;
            ulong large = BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            if (large > long.MaxValue) return null;
            size = (long)large;
            headerSize = 16;
        }
        else if (size == 0) size = length - offset;
        foreach (var c in header[4..8]) if (c < 0x20 || c > 0x7E) return null;
        if (size < headerSize || offset + size > length) return null;
        return new Box(offset, size, Encoding.ASCII.GetString(header[4..8]));
    }

    /// <summary>The sync samples (1-based numbers, as stored in stss) and the sample count (stsz) of the <paramref name="streamIndex"/>-th track
    /// of the file's moov box; null when the file has no such track, no sync-sample table (every sample a sync sample) or an unusual layout.</summary>
    public static (HashSet<long> Sync, long Samples)? SyncSamples(string path, int streamIndex)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var moov = Children(f, 0, f.Length).FirstOrDefault(b => b.Type == "moov");
        if (moov == null) return null;
        var trak = Children(f, moov.Offset + 8, moov.Offset + moov.Size).Where(b => b.Type == "trak").ElementAtOrDefault(streamIndex);
        if (trak == null) return null;
        Box? stbl = trak;
        foreach (var name in new[] { "mdia", "minf", "stbl" })
        {
            stbl = Children(f, stbl.Offset + 8, stbl.Offset + stbl.Size).FirstOrDefault(b => b.Type == name);
            if (stbl == null) return null;
        }
        var tables = Children(f, stbl.Offset + 8, stbl.Offset + stbl.Size).ToList();
        var stss = tables.FirstOrDefault(b => b.Type == "stss");
        var stsz = tables.FirstOrDefault(b => b.Type == "stsz");
        if (stss == null || stsz == null || stss.Size < 16 || stsz.Size < 20 || stss.Size > 64 << 20) return null;
        var sizes = Read(f, stsz.Offset + 8, 12);
        long samples = BinaryPrimitives.ReadUInt32BigEndian(sizes.AsSpan(8));
        var table = Read(f, stss.Offset + 8, (int)(stss.Size - 8));
        long count = BinaryPrimitives.ReadUInt32BigEndian(table.AsSpan(4));
        if (8 + count * 4 > table.Length) return null;
        var sync = new HashSet<long>();
        for (int i = 0; i < count; i++) sync.Add(BinaryPrimitives.ReadUInt32BigEndian(table.AsSpan(8 + i * 4)));
        return (sync, samples);
    }

    private static IEnumerable<Box> Children(FileStream f, long start, long end)
    {
        long pos = start;
        var header = new byte[16];
        for (int n = 0; pos + 8 <= end && n < 100_000; n++)
        {
            f.Position = pos;
            int got = f.ReadAtLeast(header, 16, throwOnEndOfStream: false);
            var box = ReadHeader(header.AsSpan(0, got), pos, end);
            if (box == null) yield break;
            yield return box;
            pos += box.Size;
        }
    }

    private static byte[] Read(FileStream f, long offset, int count)
    {
        var b = new byte[count];
        f.Position = offset;
        f.ReadExactly(b);
        return b;
    }
}
