using System.Buffers.Binary;
using System.Text;

namespace PlateBlur.Core.Media;

/// <summary>The containers PlateBlur reads, recognised from their first bytes (the file name is never trusted).</summary>
public enum ContainerKind { IsoMedia, Matroska, Avi, Jpeg, Png, Webp, Nut, MpegTs, MpegPs }

/// <summary>Resource limits checked before anything is decoded; each refusal names the limit and the setting that raises it.</summary>
public sealed record MediaLimits(
    int MaxSide = 8192, double MaxMegapixels = 40, double MaxDurationSeconds = 4 * 3600, long MaxFrames = 1_000_000, int MaxStreams = 16)
{
    /// <summary>The defaults of the settings MaxSide, MaxMegapixels, MaxDurationSeconds, MaxFrames and MaxStreams.</summary>
    public static readonly MediaLimits Default = new();

    public MediaLimits Validate()
    {
        if (MaxSide < 16) throw new ArgumentOutOfRangeException(nameof(MaxSide), MaxSide, "the side limit must be at least 16 px");
        if (MaxMegapixels <= 0) throw new ArgumentOutOfRangeException(nameof(MaxMegapixels), MaxMegapixels, "the megapixel limit must be positive");
        if (MaxDurationSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(MaxDurationSeconds), MaxDurationSeconds, "the duration limit must be positive");
        if (MaxFrames < 1) throw new ArgumentOutOfRangeException(nameof(MaxFrames), MaxFrames, "the frame limit must be at least 1");
        if (MaxStreams < 1) throw new ArgumentOutOfRangeException(nameof(MaxStreams), MaxStreams, "the stream limit must be at least 1");
        return this;
    }

    /// <summary>Throws when a video holds (or declares) more frames than <see cref="MaxFrames"/>.</summary>
    public void CheckFrames(string name, long frames)
    {
        if (frames > MaxFrames)
            throw new MediaException(MediaError.TooLarge, $"{name} has {frames:N0} video frames, over the limit of {MaxFrames:N0} (setting MaxFrames).");
    }

    /// <summary>Throws when a picture of this size is over the limits (or has no pixels at all).</summary>
    public void CheckPicture(string name, long width, long height)
    {
        if (width <= 0 || height <= 0)
            throw new MediaException(MediaError.Corrupt, $"{name} claims a {width}x{height} picture: a picture has at least one pixel each way (corrupt header).");
        double mp = width * (double)height / 1e6;
        if (width > MaxSide || height > MaxSide || mp > MaxMegapixels)
            throw new MediaException(MediaError.TooLarge,
                $"{name} claims a {width}x{height} picture ({mp:0.#} MP), over the limit of {MaxSide} px per side and {MaxMegapixels:0.#} MP (settings MaxSide, MaxMegapixels).");
    }
}

/// <summary>Hostile-input gate for every ffmpeg and ffprobe call: the container is sniffed from the bytes and forced on the demuxer
/// (so a playlist, concat list or image-sequence pattern named .mp4 is never followed), and only local files and pipes may be opened.</summary>
public static class MediaGuard
{
    /// <summary>Protocols a local decode may use: the file itself and our own pipes. No http, concat:, subfile:, data: or crypto:.</summary>
    public const string LocalProtocols = "file,pipe";

    /// <summary>Input options for a pipe that carries our own Matroska frames.</summary>
    public const string PipeInput = "-protocol_whitelist pipe";

    public static bool IsPhoto(ContainerKind k) => k is ContainerKind.Jpeg or ContainerKind.Png or ContainerKind.Webp;

    /// <summary>The ffmpeg demuxer forced for a container: exactly one, chosen by us.</summary>
    public static string Demuxer(ContainerKind k) => k switch
    {
        ContainerKind.IsoMedia => "mov",
        ContainerKind.Matroska => "matroska",
        ContainerKind.Avi => "avi",
        ContainerKind.Jpeg => "jpeg_pipe",
        ContainerKind.Png => "png_pipe",
        ContainerKind.Webp => "webp_pipe",
        ContainerKind.Nut => "nut",
        ContainerKind.MpegTs => "mpegts", // 188-byte TS and 192-byte M2TS/MTS (AVCHD, Blu-ray) alike
        ContainerKind.MpegPs => "mpeg",   // MPEG-1/2 program stream (.mpg, .vob)
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    /// <summary>ffmpeg/ffprobe input options for a file: protocol allow-list and the forced demuxer. Work files (NUT segments) are allowed.
    /// A URL is accepted only when it is a <see cref="RemoteSource"/> this process registered (a blob read in place): its container was
    /// sniffed from its first bytes and its protocols are https (http to loopback only), never file.</summary>
    public static string InputArguments(string path) => RemoteMedia.IsUrl(path)
        ? RemoteMedia.Get(path).InputArguments
        : $"-protocol_whitelist {LocalProtocols} -f {Demuxer(Sniff(path, allowWorkFormats: true))}";

    /// <summary>The container of a file from its first bytes; anything outside the allow-list is refused with the reason.</summary>
    /// <param name="allowWorkFormats">Also accept the formats PlateBlur writes for itself (NUT segments); never for user input.</param>
    public static ContainerKind Sniff(string path, bool allowWorkFormats = false)
    {
        var head = new byte[SniffBytes];
        int n;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (OtherImage(head.AsSpan(0, n)) is { } image)
            throw new MediaException(MediaError.UnsupportedFormat, $"{Path.GetFileName(path)} is a {image} image; photos must be JPEG, PNG or WebP.");
        var kind = Classify(head.AsSpan(0, n));
        if (kind == ContainerKind.Nut && !allowWorkFormats) kind = null;
        if (kind == ContainerKind.Webp && IsAnimatedWebp(head.AsSpan(0, n)))
            throw new MediaException(MediaError.UnsupportedFormat,
                $"{Path.GetFileName(path)} is an animated WebP; PlateBlur reads still photos and videos (this ffmpeg cannot decode WebP animation): convert it to a video such as MP4 first.");
        return kind ?? throw new MediaException(MediaError.NotMedia,
            $"{Path.GetFileName(path)} is not a supported media container ({Describe(head.AsSpan(0, n))}); PlateBlur reads {Supported}.");
    }

    /// <summary>The containers PlateBlur reads, as messages name them.</summary>
    public const string Supported = "MP4/MOV, Matroska/WebM, AVI, MPEG-TS (.ts, .mts, .m2ts), MPEG-PS (.mpg, .vob), JPEG, PNG and WebP";

    /// <summary>How many leading bytes <see cref="Classify"/> looks at: three transport-stream packets of 192 bytes.</summary>
    public const int SniffBytes = 3 * 192 + 8;

    public static ContainerKind? Classify(ReadOnlySpan<byte> h)
    {
        // MPEG transport stream: a sync byte 0x47 every 188 bytes (or every 192 with a 4-byte timecode before each, M2TS/MTS).
        // Three in a row; a text file never starts so.
        if (h.Length >= 2 * 188 + 1 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47) return ContainerKind.MpegTs;
        if (h.Length >= 4 + 2 * 192 + 1 && h[4] == 0x47 && h[196] == 0x47 && h[388] == 0x47) return ContainerKind.MpegTs;
        // MPEG program stream: a pack header (00 00 01 BA) with the MPEG-2 ('01' bits) or MPEG-1 ('0010' bits) marker.
        if (h.Length >= 14 && h[0] == 0 && h[1] == 0 && h[2] == 1 && h[3] == 0xBA && ((h[4] & 0xC0) == 0x40 || (h[4] & 0xF0) == 0x20))
            return ContainerKind.MpegPs;
        if (h.Length >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) return ContainerKind.Jpeg;
        if (h.Length >= 8 && h[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })) return ContainerKind.Png;
        if (h.Length >= 12 && h[..4].SequenceEqual("RIFF"u8))
        {
            if (h[8..12].SequenceEqual("WEBP"u8)) return ContainerKind.Webp;
            if (h[8..12].SequenceEqual("AVI "u8)) return ContainerKind.Avi;
            return null;
        }
        if (h.Length >= 4 && h[0] == 0x1A && h[1] == 0x45 && h[2] == 0xDF && h[3] == 0xA3) return ContainerKind.Matroska;
        if (h.Length >= 8 && h[..8].SequenceEqual("nut/mult"u8)) return ContainerKind.Nut;
        if (h.Length >= 8)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(h);
            string type = Encoding.ASCII.GetString(h[4..8]);
            bool sizeOk = size is 0 or 1 or >= 8;
            if (sizeOk && type is "ftyp" or "moov" or "mdat" or "free" or "wide" or "skip" or "pnot") return ContainerKind.IsoMedia;
        }
        return null;
    }

    /// <summary>An extended-format WebP (VP8X) whose animation flag is set: frames in ANMF chunks, which ffmpeg 5.1's decoder cannot read
    /// (it called them "image data not found", and PlateBlur refused the file as damaged).</summary>
    public static bool IsAnimatedWebp(ReadOnlySpan<byte> h) =>
        h.Length >= 21 && h[..4].SequenceEqual("RIFF"u8) && h[8..12].SequenceEqual("WEBP"u8) && h[12..16].SequenceEqual("VP8X"u8) && (h[20] & 0x02) != 0;

    /// <summary>Image formats people do send, named so the refusal says what to convert.</summary>
    private static string? OtherImage(ReadOnlySpan<byte> h)
    {
        if (h.Length >= 14 && h[0] == (byte)'B' && h[1] == (byte)'M' && BinaryPrimitives.ReadUInt32LittleEndian(h[6..]) == 0) return "BMP";
        if (h.Length >= 4 && h[..4].SequenceEqual("GIF8"u8)) return "GIF";
        if (h.Length >= 4 && (h[..4].SequenceEqual("II*\0"u8) || h[..4].SequenceEqual("MM\0*"u8))) return "TIFF";
        if (h.Length >= 12 && h[4..8].SequenceEqual("ftyp"u8) && (h[8..12].SequenceEqual("heic"u8) || h[8..12].SequenceEqual("mif1"u8) || h[8..12].SequenceEqual("avif"u8))) return "HEIF/AVIF";
        return null;
    }

    /// <summary>A short, safe description of bytes that are not media (no file content is echoed).</summary>
    private static string Describe(ReadOnlySpan<byte> h)
    {
        if (h.Length == 0) return "it is empty";
        string start = Encoding.ASCII.GetString(h).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (start.StartsWith("#EXTM3U", StringComparison.Ordinal)) return "it is an HLS playlist";
        if (start.StartsWith("ffconcat", StringComparison.Ordinal) || start.StartsWith("file ", StringComparison.Ordinal)) return "it is a concat list";
        if (start.StartsWith("<?xml", StringComparison.Ordinal) || start.StartsWith("<MPD", StringComparison.Ordinal)) return "it is XML, perhaps a DASH manifest";
        if (start.StartsWith("[playlist]", StringComparison.OrdinalIgnoreCase)) return "it is a playlist";
        bool text = true;
        foreach (var b in h) if (b < 0x09 || (b > 0x0D && b < 0x20)) { text = false; break; }
        return text ? "it is text" : "its first bytes match none of them";
    }

    /// <summary>Width and height from a photo's header, read without decoding a pixel (JPEG SOF, PNG IHDR, WebP VP8/VP8L/VP8X).</summary>
    public static (long Width, long Height)? PhotoSize(string path, ContainerKind kind)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var head = new byte[64];
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var h = head.AsSpan(0, n);
        switch (kind)
        {
            case ContainerKind.Png when n >= 24 && h[12..16].SequenceEqual("IHDR"u8):
                return (BinaryPrimitives.ReadUInt32BigEndian(h[16..]), BinaryPrimitives.ReadUInt32BigEndian(h[20..]));
            case ContainerKind.Webp when n >= 30:
                string chunk = Encoding.ASCII.GetString(h[12..16]);
                if (chunk == "VP8X") return (1 + (h[24] | h[25] << 8 | h[26] << 16), 1 + (h[27] | h[28] << 8 | h[29] << 16));
                if (chunk == "VP8L") { uint b = BinaryPrimitives.ReadUInt32LittleEndian(h[21..]); return (1 + (b & 0x3FFF), 1 + ((b >> 14) & 0x3FFF)); }
                if (chunk == "VP8 ") return (BinaryPrimitives.ReadUInt16LittleEndian(h[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(h[28..]) & 0x3FFF);
                return null;
            case ContainerKind.Jpeg:
                return JpegSize(f);
            default:
                return null;
        }
    }

    private static (long, long)? JpegSize(Stream f)
    {
        f.Position = 2;
        Span<byte> b = stackalloc byte[9];
        while (true)
        {
            int m;
            do { m = f.ReadByte(); } while (m == 0xFF);
            if (m < 0) return null;
            int marker = m;
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) continue;
            if (f.ReadAtLeast(b[..2], 2, false) < 2) return null;
            int len = BinaryPrimitives.ReadUInt16BigEndian(b);
            if (len < 2) return null;
            bool sof = marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);
            if (sof)
            {
                if (f.ReadAtLeast(b[..5], 5, false) < 5) return null;
                return (BinaryPrimitives.ReadUInt16BigEndian(b[3..]), BinaryPrimitives.ReadUInt16BigEndian(b[1..]));
            }
            if (marker == 0xDA) return null; // scan data before any frame header
            f.Seek(len - 2, SeekOrigin.Current);
            // Skip a byte between 0xFF markers if the next byte is not one.
            int next = f.ReadByte();
            if (next < 0) return null;
            if (next != 0xFF) return null;
            f.Seek(-1, SeekOrigin.Current);
        }
    }

    /// <summary>Decodes a photo once in ffmpeg with every error fatal: a damaged JPEG decodes "successfully" in most libraries, with the
    /// rest of the picture grey, and such a photo would be published half unchecked. Any decoder complaint refuses the photo.</summary>
    public static async Task CheckPhotoDecodesAsync(string path, ContainerKind kind, CancellationToken ct = default)
    {
        string args = $"-err_detect explode -xerror -protocol_whitelist {LocalProtocols} -f {Demuxer(kind)} -i \"{Path.GetFullPath(path)}\" -map 0:v:0 -frames:v 1 -f null -";
        await using var ffmpeg = new FfmpegProcess(args, stdin: false, stdout: false);
        int code = await ffmpeg.WaitAsync(ct);
        if (code == 0 && !ffmpeg.HasErrorOutput) return;
        string name = Path.GetFileName(path);
        bool ended = kind != ContainerKind.Jpeg || EndsWithJpegEnd(path);
        throw ended
            ? new MediaException(MediaError.Corrupt, $"{name} is corrupt: its picture data does not decode cleanly ({ffmpeg.LastError}); a damaged photo is refused rather than published with part of it unchecked.")
            : new MediaException(MediaError.Truncated, $"{name} is truncated: the picture data ends early ({ffmpeg.LastError}).");
    }

    private static bool EndsWithJpegEnd(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (f.Length < 4) return false;
        f.Seek(-2, SeekOrigin.End);
        return f.ReadByte() == 0xFF && f.ReadByte() == 0xD9;
    }

    /// <summary>What a source was when work began; checked again before an output is committed.</summary>
    public sealed record Snapshot(long Length, DateTime LastWriteUtc)
    {
        public static Snapshot Of(string path)
        {
            var fi = new FileInfo(path);
            return new Snapshot(fi.Length, fi.LastWriteTimeUtc);
        }

        /// <summary>Throws when the file changed (size or modification time) since the snapshot: the output would mix two versions.</summary>
        public void CheckUnchanged(string path)
        {
            var now = new FileInfo(path);
            if (!now.Exists || now.Length != Length || now.LastWriteTimeUtc != LastWriteUtc)
                throw new MediaException(MediaError.SourceChanged,
                    $"{Path.GetFileName(path)} changed while it was being read ({(now.Exists ? $"{Length:N0} -> {now.Length:N0} bytes" : "it was removed")}); nothing was written, run again on the final file.");
        }
    }
}
