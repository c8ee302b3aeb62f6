using System.Globalization;
using FFMpegCore;
using FFMpegCore.Enums;

namespace PlateBlur.Core.Media;

/// <summary>Joins encoded video (one file or consecutive segments) with the source's audio, subtitles and metadata, by stream copy.</summary>
public static class Muxer
{
    /// <summary>Metadata keys that give away where a recording was made; cleared unless the caller keeps location.</summary>
    public static readonly string[] LocationTags = ["location", "location-eng", "com.apple.quicktime.location.ISO6709", "com.android.capture.location"];

    /// <summary>Writes <paramref name="outputPath"/> from video parts and the source file.</summary>
    /// <param name="videoParts">Video-only files in order; each covers the frames from its own first timestamp up to the next part's.</param>
    /// <param name="partStartsNs">First frame time of each part, and as a last entry the end time of the whole stream.</param>
    public static async Task MuxAsync(
        IReadOnlyList<string> videoParts, IReadOnlyList<long> partStartsNs, MediaInfo source, OutputPlan plan,
        string outputPath, bool keepLocation, CancellationToken ct = default)
    {
        source.RequireVideo();
        string? concatList = null;
        try
        {
            if (videoParts.Count > 1)
            {
                concatList = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputPath))!, $".{Path.GetFileName(outputPath)}.{Environment.ProcessId}.concat.txt");
                await File.WriteAllLinesAsync(concatList, ConcatLines(videoParts, partStartsNs), ct);
            }
            string arguments = Arguments(videoParts, concatList, source, plan, outputPath, keepLocation, partStartsNs[0]);
            await using var ffmpeg = new FfmpegProcess(arguments, stdin: false, stdout: false);
            int code = await ffmpeg.WaitAsync(ct);
            if (code != 0)
                throw new MediaException(MediaError.EncodeFailed, $"Muxing {Path.GetFileName(outputPath)} failed ({ffmpeg.LastError}).");
        }
        finally
        {
            if (concatList != null) File.Delete(concatList);
        }
    }

    /// <summary>The ffmpeg command line that writes <paramref name="outputPath"/>: the video from the single part, or from
    /// <paramref name="concatList"/> (the parts' concat list) when there are several, with the source's other streams and metadata.</summary>
    /// <param name="firstStartNs">The first frame's time. The concat demuxer starts its output at 0 whatever the parts' times; it is shifted
    /// back to the source's start (an MPEG-TS starts at 1.4 s or so, an MP4 cut by stream copy wherever the cut was), or the output's video
    /// would begin before its audio and subtitles.</param>
    public static string Arguments(IReadOnlyList<string> videoParts, string? concatList, MediaInfo source, OutputPlan plan, string outputPath, bool keepLocation,
        long firstStartNs = 0)
    {
        string offset = firstStartNs != 0 ? $" -itsoffset {(firstStartNs / 1e9).ToString("0.#########", CultureInfo.InvariantCulture)}" : "";
        var video = source.RequireVideo();
        // Every input keeps its gate as one string before its -i: our concat list may name only local files, and each media file
        // gets the protocol allow-list and its forced demuxer.
        var args = videoParts.Count == 1
            ? FFMpegArguments.FromFileInput(videoParts[0], false, o => o.WithCustomArgument(MediaGuard.InputArguments(videoParts[0])))
            : FFMpegArguments.FromFileInput(concatList!, false, o => o.WithCustomArgument($"-protocol_whitelist {MediaGuard.LocalProtocols} -f concat -safe 0{offset}"));
        args = args.AddFileInput(source.Path, false, o => o.WithCustomArgument(MediaGuard.InputArguments(source.Path)));

        return args
            .OutputToFile(outputPath, true, o =>
            {
                // Stream maps: the video, each planned audio stream, and any subtitles (an optional map, "1:s?", has no typed argument).
                o.WithMap(0, StreamType.Video, 0);
                foreach (var a in plan.Audio) o.WithMap(1, StreamType.All, a.SourceIndex);
                if (plan.CopySubtitles) o.WithCustomArgument("-map 1:s?");
                // Codecs, per output stream: video and subtitles copied, each audio stream copied or re-encoded.
                o.CopyStreams(StreamType.Video);
                for (int i = 0; i < plan.Audio.Count; i++) o.WithAudioCodec(plan.Audio[i].Encoder, i);
                if (plan.CopySubtitles) o.CopyStreams(StreamType.Subtitle);
                // Metadata: the source's global tags, and its video stream's tags (a per-stream -map_metadata has no typed argument).
                o.WithMapMetadata(1).WithCustomArgument($"-map_metadata:s:v:0 1:s:{video.Index}");
                if (video.Rotation != 0) o.WithStreamMetadata("rotate", video.Rotation.ToString(CultureInfo.InvariantCulture), StreamType.Video, 0);
                if (!keepLocation) foreach (var t in LocationTags) o.WithMetadata(t, "");
                if (plan.Container is "mp4" or "mov") o.WithFastStart();
                o.WithCustomArgument("-copyts -avoid_negative_ts disabled") // no typed arguments
                    .ForceFormat(plan.FfmpegFormat);
            })
            .Arguments;
    }

    /// <summary>Concat-demuxer lines with exact part durations, so variable frame timing survives the joins.</summary>
    public static IEnumerable<string> ConcatLines(IReadOnlyList<string> parts, IReadOnlyList<long> startsNs)
    {
        yield return "ffconcat version 1.0";
        for (int i = 0; i < parts.Count; i++)
        {
            yield return $"file '{parts[i].Replace("'", "'\\''")}'";
            yield return "duration " + ((startsNs[i + 1] - startsNs[i]) / 1e9).ToString("0.#########", CultureInfo.InvariantCulture);
        }
    }
}
