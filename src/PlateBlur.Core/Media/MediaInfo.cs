namespace PlateBlur.Core.Media;

public enum MediaKind { Video, Photo }

/// <summary>Facts about a video stream that the pipeline must preserve.</summary>
public sealed record VideoStreamInfo(
    int Index, string Codec, int Width, int Height, int Rotation,
    string FrameRate, double Fps, double AvgFps, string TimeBase, double StartSeconds, string PixelFormat,
    string? ColorSpace = null, string? ColorPrimaries = null, string? ColorTransfer = null,
    long DeclaredFrames = 0, double DeclaredDuration = 0, bool DeclaredFramesExact = false);

/// <summary>Facts about an audio stream that is copied through untouched.</summary>
public sealed record AudioStreamInfo(int Index, string Codec, int Channels, int SampleRate, double DurationSeconds);

/// <summary>What a probe learned about a media file.</summary>
public sealed record MediaInfo(
    string Path, MediaKind Kind, string Format, long SizeBytes, double DurationSeconds,
    VideoStreamInfo? Video, IReadOnlyList<AudioStreamInfo> Audio, int StreamCount, IReadOnlyList<string> OtherStreams)
{
    public VideoStreamInfo RequireVideo() => Video ?? throw new MediaException(MediaError.NoVideo, $"{System.IO.Path.GetFileName(Path)} has no video stream.");
}

public enum MediaError { Missing, Empty, NotMedia, Corrupt, Truncated, UnsupportedCodec, NoVideo, UnsupportedFormat, TooLarge, OutputExists, SameAsInput, EncodeFailed, VerifyFailed, SourceChanged, CannotWrite }

/// <summary>A clear, one-line reason why a media file cannot be processed.</summary>
public sealed class MediaException(MediaError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public MediaError Error { get; } = error;
}
