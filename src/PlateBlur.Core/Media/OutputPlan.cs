namespace PlateBlur.Core.Media;

public enum VideoCodecChoice { Auto, H264, H265, Vp9 }

/// <summary>How one output file is encoded and which source streams go into it.</summary>
public sealed record OutputPlan(string Container, string FfmpegFormat, string VideoEncoder, IReadOnlyList<AudioPlan> Audio, bool CopySubtitles)
{
    private static readonly Dictionary<string, string> Containers = new(StringComparer.OrdinalIgnoreCase)
    {
        [".mp4"] = "mp4", [".m4v"] = "mp4", [".mov"] = "mov", [".mkv"] = "matroska", [".webm"] = "webm", [".avi"] = "avi",
    };

    /// <summary>Extensions PlateBlur reads but does not write: their outputs are MP4 (the name gets ".mp4" added).</summary>
    private static readonly HashSet<string> InputOnly = new(StringComparer.OrdinalIgnoreCase) { ".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".vob" };

    /// <summary>An extension PlateBlur writes video to.</summary>
    public static bool IsVideoExtension(string ext) => Containers.ContainsKey(ext);

    /// <summary>An extension of a video PlateBlur reads (what it writes, and MPEG-TS/PS, which come out as MP4).</summary>
    public static bool IsInputVideoExtension(string ext) => Containers.ContainsKey(ext) || InputOnly.Contains(ext);

    /// <summary>Where a video found in a folder goes: the same relative path, with ".mp4" added when PlateBlur cannot write its own format.</summary>
    public static string OutputPathFor(string outputPath) =>
        InputOnly.Contains(Path.GetExtension(outputPath)) ? outputPath + ".mp4" : outputPath;

    public static string FormatFor(string outputPath)
    {
        var ext = Path.GetExtension(outputPath);
        return Containers.TryGetValue(ext, out var f) ? f
            : throw new MediaException(MediaError.UnsupportedFormat, $"Output extension '{ext}' is not supported for video (use .mp4, .mov, .mkv, .webm or .avi{(InputOnly.Contains(ext) ? $"; PlateBlur reads {ext} but writes MP4 for it" : "")}).");
    }

    /// <summary>The video encoder an output file gets (H.264 unless the container or the choice says otherwise).</summary>
    public static string EncoderFor(string outputPath, VideoCodecChoice codec) =>
        (codec == VideoCodecChoice.Auto ? (FormatFor(outputPath) == "webm" ? VideoCodecChoice.Vp9 : VideoCodecChoice.H264) : codec) switch
        {
            VideoCodecChoice.H265 => "libx265", VideoCodecChoice.Vp9 => "libvpx-vp9", _ => "libx264",
        };

    /// <summary>Chooses encoders: H.264 unless the container needs VP9; audio is copied when the container can hold it.</summary>
    public static OutputPlan For(string outputPath, MediaInfo source, VideoCodecChoice codec)
    {
        string format = FormatFor(outputPath);
        bool webm = format == "webm";
        var choice = codec == VideoCodecChoice.Auto ? (webm ? VideoCodecChoice.Vp9 : VideoCodecChoice.H264) : codec;
        if (webm && choice != VideoCodecChoice.Vp9)
            throw new MediaException(MediaError.UnsupportedFormat, "WebM holds only VP8/VP9/AV1 video: use --codec vp9 or another container.");
        string encoder = choice switch { VideoCodecChoice.H265 => "libx265", VideoCodecChoice.Vp9 => "libvpx-vp9", _ => "libx264" };
        var audio = source.Audio.Select(a => CanHold(format, a.Codec)
            ? new AudioPlan(a.Index, a.Codec, "copy")
            : new AudioPlan(a.Index, a.Codec, webm ? "libopus" : format == "avi" ? "libmp3lame" : "aac")).ToList();
        bool subs = format is "matroska" || (format is "mp4" or "mov" && source.OtherStreams.Any(s => s.Contains(":subtitle:mov_text")));
        return new OutputPlan(format, format, encoder, audio, subs);
    }

    /// <summary>How many streams the output holds: the video, each planned audio stream, and the source's subtitles when copied.
    /// (A timecode track the MP4/MOV muxer writes again is allowed beside these by <c>OutputVerifier</c>.)</summary>
    public int ExpectedStreams(MediaInfo source) => 1 + Audio.Count + (CopySubtitles ? source.OtherStreams.Count(s => s.Contains(":subtitle:")) : 0);

    public static bool CanHold(string format, string codec) => format switch
    {
        "matroska" => true,
        "mp4" => codec is "aac" or "mp3" or "ac3" or "eac3" or "opus" or "alac" or "flac",
        "mov" => codec is "aac" or "mp3" or "ac3" or "eac3" or "alac" || codec.StartsWith("pcm_"),
        "webm" => codec is "opus" or "vorbis",
        "avi" => codec is "mp3" or "ac3" or "aac" || codec.StartsWith("pcm_"),
        _ => false,
    };
}

/// <summary>One source audio stream and whether it is copied or re-encoded (only when the container cannot hold it).</summary>
public sealed record AudioPlan(int SourceIndex, string SourceCodec, string Encoder);
