using PlateBlur.Core.Media;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Media;

/// <summary>The exact ffmpeg command line of each builder (reader, writer, splitter, muxer): every input keeps the hostile-input
/// gate (protocol allow-list and forced demuxer) among its input options before its -i, and the output options are the ones ffmpeg
/// has always been given, in the same order.</summary>
public class CommandLineTests
{
    private static string Q(string path) => $"\"{path}\"";

    /// <summary>Every -i is preceded, within its own input options (after the previous input's path), by a protocol allow-list and a
    /// forced demuxer.</summary>
    private static void AssertEveryInputGuarded(string args, int inputs)
    {
        var parts = args.Split(" -i \"");
        Assert.Equal(inputs + 1, parts.Length);
        for (int i = 0; i < inputs; i++)
        {
            // The options of input i: what follows the previous input's closing quote (or the start of the line).
            string options = i == 0 ? parts[0] : parts[i][(parts[i].IndexOf('"') + 1)..];
            Assert.Matches(@"(^|\s)-protocol_whitelist (file,pipe|pipe)(\s|$)", options);
            Assert.Matches(@"(^|\s)-f \w+(\s|$)", options);
        }
    }

    private static async Task<(string Clip, MediaInfo Info)> ClipAsync(TempDir dir)
    {
        string clip = Clips.Make(dir.File("source.mp4"), seconds: 1);
        return (clip, await MediaProbe.ProbeAsync(clip));
    }

    [Fact]
    public async Task Reader_decodes_one_stream_of_a_guarded_input_to_raw_matroska()
    {
        using var dir = TestEnv.TempDir();
        var (clip, info) = await ClipAsync(dir);
        int v = info.Video!.Index;

        string plain = FrameReader.Arguments(clip, v, seekSeconds: -1);
        Assert.Equal(
            $"-protocol_whitelist file,pipe -f mov -noautorotate -i {Q(clip)} " +
            $"-map 0:{v} -an -sn -dn -copyts -fps_mode passthrough -c:v rawvideo -pix_fmt yuv420p -f matroska \"pipe:1\"", plain);
        AssertEveryInputGuarded(plain, 1);

        string seek = FrameReader.Arguments(clip, v, seekSeconds: 3.2345678);
        Assert.Equal(
            $"-protocol_whitelist file,pipe -f mov -noautorotate -ss 00:00:03.234 -i {Q(clip)} " +
            $"-map 0:{v} -an -sn -dn -copyts -fps_mode passthrough -c:v rawvideo -pix_fmt yuv420p -f matroska \"pipe:1\"", seek);
        AssertEveryInputGuarded(seek, 1);
    }

    [Fact]
    public async Task Writer_encodes_our_matroska_pipe_with_each_encoders_settings()
    {
        using var dir = TestEnv.TempDir();
        var (_, info) = await ClipAsync(dir);
        var video = info.Video! with { TimeBase = "1/12800" };
        string output = dir.File("out.mp4");
        const string pipeIn = "-protocol_whitelist pipe -f matroska -i \"pipe:0\" -map 0:v:0 -copyts -fps_mode passthrough";

        string x264 = FrameWriter.Arguments(output, video, new EncodeSettings("libx264", 23, "ultrafast"), "-color_range tv");
        Assert.Equal($"{pipeIn} -c:v libx264 -crf 23 -pix_fmt yuv420p -preset ultrafast " +
                     $"-enc_time_base:v 1/12800 -video_track_timescale 12800 -color_range tv -f mp4 {Q(output)} -y", x264);
        AssertEveryInputGuarded(x264, 1);

        string x265 = FrameWriter.Arguments(output, video, new EncodeSettings("libx265", null, "fast", Threads: 3));
        Assert.Equal($"{pipeIn} -c:v libx265 -crf 24 -pix_fmt yuv420p -threads 3 -preset fast -x265-params log-level=error " +
                     $"-enc_time_base:v 1/12800 -video_track_timescale 12800 -f mp4 {Q(output)} -y", x265);

        // A time base denominator over int range is not passed on (the encoder would refuse it).
        string vp9 = FrameWriter.Arguments(output, video with { TimeBase = "1/3000000000" }, new EncodeSettings("libvpx-vp9", null, "veryfast"));
        Assert.Equal($"{pipeIn} -c:v libvpx-vp9 -crf 32 -pix_fmt yuv420p -b:v 0 -deadline good -cpu-used 8 -row-mt 1 -f mp4 {Q(output)} -y", vp9);

        // Outside 0-63 (FFMpegCore's typed range) the value still reaches the encoder, which decides, as it always has.
        string odd = FrameWriter.Arguments(output, video, new EncodeSettings("libx264", 70, "medium"));
        Assert.Contains(" -c:v libx264 -crf 70 -pix_fmt yuv420p -preset medium ", odd);
    }

    [Fact]
    public async Task Splitter_cuts_a_guarded_input_into_nut_segments()
    {
        using var dir = TestEnv.TempDir();
        var (clip, info) = await ClipAsync(dir);
        var video = info.Video! with { TimeBase = "1/12800" };
        int v = video.Index;
        string folder = dir.File("segs");
        string pattern = Q(Path.Combine(folder, "seg-%04d.nut"));
        var two = new SegmentPlan([new SegmentSpec(0, 0, 10, 0, 400_000_000), new SegmentSpec(1, 10, 25, 400_000_000, 1_000_000_000)], false, 1, 0.4);
        var one = new SegmentPlan([new SegmentSpec(0, 0, 25, 0, 1_000_000_000)], false, 1, 1);
        string input = $"-protocol_whitelist file,pipe -f mov -noautorotate -i {Q(clip)} -map 0:{v} -an -sn -dn -copyts -fps_mode passthrough";

        string copy = Splitter.Arguments(clip, video, two, folder, reEncode: false);
        Assert.Equal($"{input} -c:v copy -f segment -segment_format nut -reset_timestamps 0 -segment_times 0.3995 {pattern} -y", copy);
        AssertEveryInputGuarded(copy, 1);

        string encode = Splitter.Arguments(clip, video, two, folder, reEncode: true);
        Assert.Equal($"{input} -c:v libx264 -preset ultrafast -crf 12 -pix_fmt yuv420p -enc_time_base:v 1/12800 -force_key_frames 0.3995 " +
                     $"-f segment -segment_format nut -reset_timestamps 0 -segment_times 0.3995 {pattern} -y", encode);
        AssertEveryInputGuarded(encode, 1);

        string whole = Splitter.Arguments(clip, video, one, folder, reEncode: false);
        Assert.Equal($"{input} -c:v copy -f segment -segment_format nut -reset_timestamps 0 -segment_time 999999999 {pattern} -y", whole);
    }

    [Fact]
    public async Task Muxer_joins_guarded_video_and_source_with_maps_codecs_and_metadata()
    {
        using var dir = TestEnv.TempDir();
        var (clip, info) = await ClipAsync(dir);
        string part = Clips.Make(dir.File("part.mp4"), audioCodec: "none", seconds: 1);
        int v = info.Video!.Index;
        string output = dir.File("out.mp4");
        var rotated = info with { Video = info.Video with { Rotation = 90 } };
        var mp4 = new OutputPlan("mp4", "mp4", "libx264", [new AudioPlan(1, "aac", "copy"), new AudioPlan(2, "pcm_s16le", "aac")], CopySubtitles: true);

        string single = Muxer.Arguments([part], null, rotated, mp4, output, keepLocation: false);
        Assert.Equal(
            $"-protocol_whitelist file,pipe -f mov -i {Q(part)} -protocol_whitelist file,pipe -f mov -i {Q(clip)} " +
            "-map 0:v:0 -map 1:1 -map 1:2 -map 1:s? -c:v copy -c:a:0 copy -c:a:1 aac -c:s copy " +
            $"-map_metadata 1 -map_metadata:s:v:0 1:s:{v} -metadata:s:v:0 \"rotate=90\" " +
            "-metadata \"location=\" -metadata \"location-eng=\" -metadata \"com.apple.quicktime.location.ISO6709=\" -metadata \"com.android.capture.location=\" " +
            $"-movflags faststart -copyts -avoid_negative_ts disabled -f mp4 {Q(output)} -y", single);
        AssertEveryInputGuarded(single, 2);

        string list = dir.File(".out.mkv.concat.txt");
        string mkvOut = dir.File("out.mkv");
        var mkv = new OutputPlan("matroska", "matroska", "libx264", [new AudioPlan(1, "aac", "copy")], CopySubtitles: false);
        string joined = Muxer.Arguments([part, part], list, info, mkv, mkvOut, keepLocation: true);
        Assert.Equal(
            $"-protocol_whitelist file,pipe -f concat -safe 0 -i {Q(list)} -protocol_whitelist file,pipe -f mov -i {Q(clip)} " +
            $"-map 0:v:0 -map 1:1 -c:v copy -c:a:0 copy -map_metadata 1 -map_metadata:s:v:0 1:s:{v} " +
            $"-copyts -avoid_negative_ts disabled -f matroska {Q(mkvOut)} -y", joined);
        AssertEveryInputGuarded(joined, 2);
    }
}
