using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Media;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Media;

/// <summary>Runs alone: it counts the frames alive in the whole process.</summary>
[CollectionDefinition(nameof(FrameCounting), DisableParallelization = true)]
public sealed class FrameCounting;

/// <summary>The video path end to end on generated clips: what comes out must play exactly like what went in.</summary>
[Collection(nameof(FrameCounting))]
public class VideoPipelineTests(ModelFixture model) : IClassFixture<ModelFixture>
{
    [SharedFact]
    public async Task Variable_frame_rate_keeps_every_timestamp_and_the_audio_untouched()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.VariableFrameRate(dir.File("vfr.mp4"));
        var info = await MediaProbe.ProbeAsync(src);
        var timeline = await FrameTimeline.ScanAsync(src, info.Video!);
        Assert.True(timeline.IsVariableFrameRate, "the generated clip must be VFR for this test to mean anything");

        var report = await model.Anonymizer.AnonymizeFileAsync(src, dir.File("out.mp4"), overwrite: false);
        var inPts = Clips.VideoPts(src);
        var outPts = Clips.VideoPts(dir.File("out.mp4"));
        Assert.Equal(inPts.Count, outPts.Count);
        Assert.Equal(2 * 30 + 2 * 12 + 2 * 60, outPts.Count);
        for (int i = 0; i < inPts.Count; i++) Assert.Equal(inPts[i], outPts[i], 4);
        Assert.Equal(Clips.AudioMd5(src), Clips.AudioMd5(dir.File("out.mp4")));
        Assert.Equal(Clips.StreamField(src, "a:0", "start_time"), Clips.StreamField(dir.File("out.mp4"), "a:0", "start_time"));
        Assert.True(report.Output!.VariableFrameRate);
        Assert.Equal(inPts.Count, report.Counts.Frames);
    }

    [SharedTheory]
    [InlineData("h265.mkv", "libx265", "libopus", "matroska", "h264", "opus")]
    [InlineData("vp9.webm", "libvpx-vp9", "libopus", "matroska", "vp9", "opus")]
    [InlineData("mpeg4.avi", "mpeg4", "libmp3lame", "avi", "h264", "mp3")]
    [InlineData("h264.mov", "libx264", "pcm_s16le", "mov", "h264", "pcm_s16le")]
    [InlineData("h264.mp4", "libx264", "aac", "mov", "h264", "aac")]
    public async Task Each_input_family_comes_out_in_its_container_with_audio_copied(
        string name, string videoCodec, string audioCodec, string formatPrefix, string outVideo, string outAudio)
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.Make(dir.File(name), videoCodec, audioCodec, seconds: 1.2, extra: videoCodec == "libx265" ? "-x265-params log-level=error" : "");
        var output = dir.File("out" + Path.GetExtension(name));
        var report = await model.Anonymizer.AnonymizeFileAsync(src, output, overwrite: false);
        Assert.StartsWith(formatPrefix, report.Output!.Format);
        Assert.Equal(outVideo, report.Output.VideoCodec);
        Assert.Equal([outAudio], report.Output.AudioCodecs);
        Assert.Equal(Clips.AudioMd5(src), Clips.AudioMd5(output));
        Assert.Equal(report.Input.FrameCount, report.Output.FrameCount);
        Assert.Equal(30, report.Output.FrameCount);
    }

    /// <summary>Broadcast and camcorder containers (MPEG-TS, AVCHD's 192-byte M2TS, MPEG-2 program streams) are read and come out as MP4,
    /// every frame kept; audio MP4 cannot hold (MP2) is re-encoded and said so. Before, they were refused as "not a supported container".</summary>
    [SharedTheory]
    [InlineData("clip.ts", "-c:v libx264 -c:a aac -f mpegts", "aac", null)]
    [InlineData("clip.mts", "-c:v libx264 -c:a mp2 -f mpegts -mpegts_m2ts_mode 1", "aac", "(mp2) re-encoded with aac")]
    [InlineData("clip.mpg", "-c:v mpeg2video -c:a mp2 -f vob", "aac", "(mp2) re-encoded with aac")]
    public async Task Mpeg_transport_and_program_streams_come_out_as_mp4(string name, string encode, string outAudio, string? warning)
    {
        using var dir = TestEnv.TempDir();
        TestEnv.Ffmpeg($"-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=f=440:d=1.2 -t 1.2 -pix_fmt yuv420p {encode} \"{dir.File(name)}\"");
        Assert.Equal(name.EndsWith(".mpg") ? ContainerKind.MpegPs : ContainerKind.MpegTs, MediaGuard.Sniff(dir.File(name)));
        var output = OutputPlan.OutputPathFor(dir.File(name));
        Assert.Equal(dir.File(name) + ".mp4", output);
        var report = await model.Anonymizer.AnonymizeFileAsync(dir.File(name), output, overwrite: false);
        Assert.StartsWith("mov", report.Output!.Format);
        Assert.Equal(30, report.Input.FrameCount);
        Assert.Equal(30, report.Output.FrameCount);
        Assert.Equal([outAudio], report.Output.AudioCodecs);
        if (warning != null) Assert.Contains(report.Warnings, w => w.Contains(warning));
        var e = await Assert.ThrowsAsync<MediaException>(() => model.Anonymizer.AnonymizeFileAsync(dir.File(name), dir.File("out" + Path.GetExtension(name)), overwrite: false));
        Assert.Contains("writes MP4 for it", e.Message);
    }

    [SharedFact]
    public async Task Rotation_metadata_and_stored_size_are_preserved()
    {
        using var dir = TestEnv.TempDir();
        var plain = Clips.Make(dir.File("plain.mp4"), size: "320x180", seconds: 1);
        TestEnv.Ffmpeg($"-i \"{plain}\" -c copy -metadata:s:v:0 rotate=90 \"{dir.File("rot.mp4")}\"");
        var report = await model.Anonymizer.AnonymizeFileAsync(dir.File("rot.mp4"), dir.File("out.mp4"), overwrite: false);
        Assert.Equal(90, report.Input.Rotation);
        Assert.Equal(90, report.Output!.Rotation);
        Assert.Equal((320, 180), (report.Output.Width, report.Output.Height));
    }

    /// <summary>GoPro and broadcast footage carries a timecode track. The MP4 muxer writes it again from the video stream's timecode, and
    /// the output check used to refuse every such file ("3 streams, expected 2"; found on GoPro's own sample files).</summary>
    [SharedFact]
    public async Task A_timecode_track_is_kept_and_does_not_fail_the_output_check()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.Make(dir.File("tc.mp4"), seconds: 1, extra: "-timecode 19:26:48:04");
        var info = await MediaProbe.ProbeAsync(src);
        Assert.Contains(info.OtherStreams, MediaProbe.IsTimecodeTrack); // the source really has one

        var report = await model.Anonymizer.AnonymizeFileAsync(src, dir.File("out.mp4"), overwrite: false);
        Assert.Equal(25, report.Output!.FrameCount);
        Assert.Contains("19:26:48:04", TestEnv.Ffprobe($"-show_entries stream_tags=timecode -of csv=p=0 \"{dir.File("out.mp4")}\""));
        Assert.Contains(((await MediaProbe.ProbeAsync(dir.File("out.mp4"))).OtherStreams), MediaProbe.IsTimecodeTrack);
        Assert.DoesNotContain(report.Warnings, w => w.Contains("tmcd"));
    }

    /// <summary>The encoder pipe gave the last frame no duration, so the MP4 muxer gave it none either: a one-frame video came out with no
    /// frame and was refused as "truncated" (naming the hidden partial file), and a two-frame one lost its last frame ("1 frames, source has 2").</summary>
    [SharedTheory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_video_of_one_or_two_frames_keeps_every_frame_and_its_duration(int frames)
    {
        using var dir = TestEnv.TempDir();
        TestEnv.Ffmpeg($"-f lavfi -i testsrc2=size=320x240:rate=25 -frames:v {frames} -c:v libx264 -pix_fmt yuv420p \"{dir.File("short.mp4")}\"");
        var report = await model.Anonymizer.AnonymizeFileAsync(dir.File("short.mp4"), dir.File("out.mp4"), overwrite: false);
        Assert.Equal(frames, report.Output!.FrameCount);
        string counted = TestEnv.Ffprobe($"-count_frames -select_streams v:0 -show_entries stream=nb_read_frames,duration -of csv=p=0 \"{dir.File("out.mp4")}\"");
        var parts = counted.Trim().Split(',');
        Assert.Equal(frames, int.Parse(parts[^1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(frames * 0.04, double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), 3);
    }

    /// <summary>A 10-bit HDR phone clip comes out as 8-bit H.264: the report says so, and the HDR colour tags are kept.</summary>
    [SharedFact]
    public async Task A_ten_bit_hdr_source_is_reported_as_8_bit_with_its_colour_tags_kept()
    {
        using var dir = TestEnv.TempDir();
        TestEnv.Ffmpeg($"-f lavfi -i testsrc2=size=320x240:rate=25 -t 0.6 -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p10le " +
                       $"-color_primaries bt2020 -color_trc arib-std-b67 -colorspace bt2020nc -tag:v hvc1 \"{dir.File("hdr.mov")}\"");
        var report = await model.Anonymizer.AnonymizeFileAsync(dir.File("hdr.mov"), dir.File("out.mov"), overwrite: false);
        Assert.Contains(report.Warnings, w => w.Contains("10-bit samples (yuv420p10le)") && w.Contains("8-bit"));
        string tags = TestEnv.Ffprobe($"-select_streams v:0 -show_entries stream=color_transfer,color_primaries -of csv=p=0 \"{dir.File("out.mov")}\"");
        Assert.Contains("arib-std-b67", tags);
        Assert.Contains("bt2020", tags);
    }

    [Theory]
    [InlineData("yuv420p", 8)]
    [InlineData("yuvj420p", 8)]
    [InlineData("nv12", 8)]
    [InlineData("yuv420p10le", 10)]
    [InlineData("p010le", 10)]
    [InlineData("yuv444p12be", 12)]
    [InlineData("gray16le", 16)]
    public void Bit_depth_is_read_from_the_pixel_format(string pixelFormat, int bits) =>
        Assert.Equal(bits, PlateBlur.Core.Reports.ReportBuilder.BitDepth(pixelFormat));

    [Theory]
    [InlineData(null, "tmcd", "tmcd")]
    [InlineData("unknown", "tmcd", "tmcd")]
    [InlineData("bin_data", "gpmd", "bin_data/gpmd")]
    [InlineData("h264", "avc1", "h264")]
    [InlineData("mov_text", "tx3g", "mov_text")]
    [InlineData(null, "[0][0][0][0]", "unknown")]
    public void Streams_without_a_decoder_are_named_by_their_tag(string? name, string tag, string expected) =>
        Assert.Equal(expected, MediaProbe.StreamName(name, tag));

    [SharedFact]
    public async Task Frames_flow_with_bounded_memory_for_a_long_video()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.Make(dir.File("long.mp4"), size: "640x360", seconds: 20, fps: 25, audioCodec: "none");
        YuvFrame.ResetPeak();
        int liveBefore = YuvFrame.Live;
        var report = await model.Anonymizer.AnonymizeFileAsync(src, dir.File("out.mp4"), false);
        Assert.Equal(500, report.Counts.Frames);
        // Frames in flight: decoder queue, tracking delay, encoder queue - a few dozen of the 500, whatever the length.
        int delay = model.Anonymizer.Options.TrackingOptions().DelayFrames(40_000_000); // 25 fps
        Assert.True(YuvFrame.PeakLive - liveBefore <= delay + 12, $"{YuvFrame.PeakLive - liveBefore} frames were alive at once (tracking delay {delay})");
        Assert.Equal(liveBefore, YuvFrame.Live); // every frame was returned to the pool
    }
}
