using System.Globalization;
using System.Text.Json;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace PlateBlur.Core.Media;

/// <summary>Probes files with ffprobe and turns every failure into a <see cref="MediaException"/> with a reason a person can act on.</summary>
public static class MediaProbe
{
    /// <summary>A stream's codec for messages: its name, and for a stream ffmpeg has no decoder for (timecode, telemetry) its
    /// four-character tag, e.g. "tmcd" (timecode) or "bin_data/gpmd" (GoPro telemetry, which holds GPS).</summary>
    public static string StreamName(string? codecName, string? tag)
    {
        bool named = !string.IsNullOrEmpty(codecName) && codecName is not ("unknown" or "none");
        bool tagged = tag is { Length: 4 } && tag.All(c => c is >= '!' and <= '~') && tag != codecName;
        return (named, tagged) switch
        {
            (true, true) when codecName is "bin_data" => $"{codecName}/{tag}",
            (true, _) => codecName!,
            (false, true) => tag!,
            _ => "unknown",
        };
    }

    /// <summary>True for a timecode track ("tmcd"): the MP4/MOV muxer writes one for a timecode the source's video stream carries.</summary>
    public static bool IsTimecodeTrack(string otherStream) => otherStream.EndsWith(":data:tmcd", StringComparison.Ordinal);

    private static readonly HashSet<string> PhotoFormats = ["image2", "jpeg_pipe", "png_pipe", "webp_pipe"];
    private static readonly HashSet<string> PhotoCodecs = ["mjpeg", "png", "webp"];
    private static readonly HashSet<string> OtherImageFormats = ["bmp_pipe", "tiff_pipe", "gif", "gif_pipe", "svg_pipe", "pgm_pipe", "ppm_pipe", "j2k_pipe", "jpegxl_pipe", "qoi_pipe", "dds_pipe"];

    private static readonly string[] TruncationHints = ["moov atom not found", "partial file", "truncat", "end of file"];

    /// <summary>Probes a file after the hostile-input gate: the container is sniffed from its bytes and forced on ffprobe, only local
    /// files may be opened, and a photo's claimed size is checked against <paramref name="limits"/> before anything decodes it.</summary>
    /// <param name="workFile">A file PlateBlur wrote itself (a NUT segment, a verified output): its work formats are accepted too, and a
    /// photo is not decoded a second time to look for damage.</param>
    public static async Task<MediaInfo> ProbeAsync(string path, CancellationToken ct = default, MediaLimits? limits = null, bool workFile = false)
    {
        limits ??= MediaLimits.Default;
        path = Path.GetFullPath(path);
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new MediaException(MediaError.Missing, Directory.Exists(path) ? $"{path} is a folder, expected a file." : $"{path} does not exist.");
        if (file.Length == 0) throw new MediaException(MediaError.Empty, $"{file.Name} is empty (0 bytes).");
        var container = MediaGuard.Sniff(path, workFile);
        if (MediaGuard.IsPhoto(container))
        {
            // A decompression bomb is refused on its header: a 190 KB PNG can claim 14,000 x 14,000 pixels.
            var size = MediaGuard.PhotoSize(path, container)
                ?? throw new MediaException(MediaError.Corrupt, $"{file.Name}: the {container.ToString().ToUpperInvariant()} header holds no picture size (corrupt or truncated).");
            limits.CheckPicture(file.Name, size.Width, size.Height);
            if (!workFile) await MediaGuard.CheckPhotoDecodesAsync(path, container, ct);
        }

        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(path, null, $"-protocol_whitelist {MediaGuard.LocalProtocols} -f {MediaGuard.Demuxer(container)}", ct);
        }
        catch (Exception e) when (e is FFProbeException or FFProbeProcessException or JsonException or FormatException)
        {
            var lines = e is FFProbeProcessException p ? p.StandardError.Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).ToList() : [e.Message];
            string all = string.Join(" ", lines);
            // A guess "with low score" means ffprobe did not recognise the bytes as that format at all.
            bool guessed = all.Contains("misdetection possible", StringComparison.OrdinalIgnoreCase)
                || (all.Contains("moov atom not found", StringComparison.OrdinalIgnoreCase) && !LooksLikeIsoMedia(path));
            bool truncated = !guessed && TruncationHints.Any(h => all.Contains(h, StringComparison.OrdinalIgnoreCase));
            string detail = guessed ? "its content matches no audio or video format" : lines.FirstOrDefault(l => TruncationHints.Any(h => l.Contains(h, StringComparison.OrdinalIgnoreCase))) ?? lines.LastOrDefault() ?? "ffprobe failed";
            detail = detail.Contains("] ") ? detail[(detail.IndexOf("] ", StringComparison.Ordinal) + 2)..] : detail;
            throw new MediaException(truncated ? MediaError.Truncated : MediaError.NotMedia, truncated
                ? $"{file.Name} is truncated or corrupt ({detail})."
                : $"{file.Name} is not a media file ffmpeg can read ({detail}).", e);
        }

        var raw = analysis.Raw;
        if (raw.Streams.Count > limits.MaxStreams)
            throw new MediaException(MediaError.TooLarge, $"{file.Name} has {raw.Streams.Count} streams, over the limit of {limits.MaxStreams} (setting MaxStreams).");
        string format = raw.Format?.FormatName ?? "";
        var videoRaw = raw.Streams.FirstOrDefault(s => s.CodecType == "video" && !(s.Disposition?.GetValueOrDefault("attached_pic") == 1));
        bool isPhoto = PhotoFormats.Contains(format) && videoRaw != null && PhotoCodecs.Contains(videoRaw.CodecName ?? "");
        if (OtherImageFormats.Contains(format) || (PhotoFormats.Contains(format) && !isPhoto))
            throw new MediaException(MediaError.UnsupportedFormat, $"{file.Name} is a {videoRaw?.CodecName ?? format} image; photos must be JPEG, PNG or WebP.");

        VideoStreamInfo? video = null;
        if (videoRaw != null)
        {
            if (string.IsNullOrEmpty(videoRaw.CodecName) || videoRaw.CodecName == "none")
                throw new MediaException(MediaError.UnsupportedCodec, $"{file.Name} has a video codec ffmpeg cannot decode ({videoRaw.CodecTagString}).");
            if ((videoRaw.Width ?? 0) <= 0 || (videoRaw.Height ?? 0) <= 0)
                throw new MediaException(MediaError.Corrupt, $"{file.Name}: the video stream has no picture size (corrupt header).");
            limits.CheckPicture(file.Name, videoRaw.Width!.Value, videoRaw.Height!.Value);
            video = new VideoStreamInfo(
                videoRaw.Index, videoRaw.CodecName, videoRaw.Width!.Value, videoRaw.Height!.Value, RotationOf(videoRaw),
                videoRaw.FrameRate ?? "0/0", SafeRate(videoRaw.FrameRate), SafeRate(videoRaw.AvgFrameRate),
                Extension(videoRaw, "time_base") ?? "1/1000", ParseDouble(videoRaw.StartTime), videoRaw.PixelFormat ?? "",
                videoRaw.ColorSpace, videoRaw.ColorPrimaries, videoRaw.ColorTransfer,
                long.TryParse(Extension(videoRaw, "nb_frames")?.Trim('"'), out var nb) ? nb : 0, ParseDouble(videoRaw.Duration),
                DeclaredFramesExact: format.StartsWith("mov,mp4", StringComparison.Ordinal));
        }

        var audio = raw.Streams.Where(s => s.CodecType == "audio")
            .Select(s => new AudioStreamInfo(s.Index, s.CodecName ?? "", s.Channels ?? 0, (int)ParseDouble(s.SampleRate), ParseDouble(s.Duration)))
            .ToList();
        var others = raw.Streams.Where(s => s.CodecType is not ("audio" or "video") || (videoRaw != null && s.CodecType == "video" && s.Index != videoRaw.Index))
            .Select(s => $"{s.Index}:{s.CodecType}:{StreamName(s.CodecName, s.CodecTagString)}").ToList();

        double duration = Math.Max(analysis.Duration.TotalSeconds, raw.Streams.Max(s => (double?)ParseDouble(s.Duration)) ?? 0);
        if (!isPhoto && duration > limits.MaxDurationSeconds)
            throw new MediaException(MediaError.TooLarge,
                $"{file.Name} claims {duration / 3600:0.##} h of media, over the limit of {limits.MaxDurationSeconds / 3600:0.##} h (setting MaxDurationSeconds).");
        if (video != null && !isPhoto) limits.CheckFrames(file.Name, video.DeclaredFrames);

        return new MediaInfo(path, isPhoto ? MediaKind.Photo : MediaKind.Video, format, file.Length,
            analysis.Duration.TotalSeconds, video, audio, raw.Streams.Count, others);
    }

    /// <summary>True when the file starts like an MP4/MOV box structure (so a missing index means a cut file, not a non-media file).</summary>
    private static bool LooksLikeIsoMedia(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var f = File.OpenRead(path);
        if (f.Read(head) < 8) return false;
        var type = System.Text.Encoding.ASCII.GetString(head[4..]);
        return type is "ftyp" or "moov" or "mdat" or "free" or "wide" or "skip" or "pnot";
    }

    /// <summary>Counter-clockwise degrees (0, 90, 180, 270) by which players turn the stored picture: the display matrix's rotation, as ffprobe prints it.</summary>
    private static int RotationOf(FFProbeStream s)
    {
        foreach (var side in s.SideData ?? [])
            if (side.TryGetValue("rotation", out var v) && double.TryParse(v.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var deg))
                return Normalise((int)Math.Round(deg));
        // Older files carry a "rotate" tag, in clockwise degrees.
        if (s.Tags != null && s.Tags.TryGetValue("rotate", out var tag) && int.TryParse(tag, out var cw)) return Normalise(-cw);
        return 0;
    }

    private static int Normalise(int degrees) => ((degrees % 360) + 360) % 360 / 90 * 90;

    internal static string? Extension(FFProbeStream s, string key) =>
        s.ExtensionData != null && s.ExtensionData.TryGetValue(key, out var v) ? v.ToString() : null;

    public static double SafeRate(string? rate)
    {
        if (string.IsNullOrEmpty(rate)) return 0;
        var parts = rate.Split('/');
        if (parts.Length == 2 && double.TryParse(parts[0], CultureInfo.InvariantCulture, out var n) && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var d) && d != 0)
            return n / d;
        return ParseDouble(rate);
    }

    private static double ParseDouble(string? s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;

}
