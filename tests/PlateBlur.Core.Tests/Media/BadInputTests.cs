using PlateBlur.Core.Media;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Media;

/// <summary>Every bad input gets a clear reason, and nothing is left behind or overwritten.</summary>
public class BadInputTests(ModelFixture model) : IClassFixture<ModelFixture>
{
    private async Task<MediaException> Fails(string input, string output, bool overwrite = false)
    {
        var dir = Path.GetDirectoryName(output)!;
        var before = Directory.GetFiles(dir).Select(f => (f, File.GetLastWriteTimeUtc(f), new FileInfo(f).Length)).ToList();
        var e = await Assert.ThrowsAsync<MediaException>(() => model.Anonymizer.AnonymizeFileAsync(input, output, overwrite));
        var after = Directory.GetFiles(dir).Select(f => (f, File.GetLastWriteTimeUtc(f), new FileInfo(f).Length)).ToList();
        Assert.Equal(before, after); // nothing written, nothing changed, no partial file left
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [SharedFact]
    public async Task Missing_file_is_named()
    {
        using var dir = TestEnv.TempDir();
        var e = await Fails(dir.File("nope.mp4"), dir.File("out.mp4"));
        Assert.Equal(MediaError.Missing, e.Error);
        Assert.Contains("does not exist", e.Message);
    }

    [SharedFact]
    public async Task Zero_byte_file_is_reported_empty()
    {
        using var dir = TestEnv.TempDir();
        File.WriteAllBytes(dir.File("empty.mp4"), []);
        Assert.Equal(MediaError.Empty, (await Fails(dir.File("empty.mp4"), dir.File("out.mp4"))).Error);
    }

    [SharedFact]
    public async Task Text_renamed_to_mp4_is_not_media()
    {
        using var dir = TestEnv.TempDir();
        File.WriteAllText(dir.File("notes.mp4"), "these are meeting notes, not a video\n");
        var e = await Fails(dir.File("notes.mp4"), dir.File("out.mp4"));
        Assert.Equal(MediaError.NotMedia, e.Error);
    }

    [SharedFact]
    public async Task Mp4_cut_before_its_index_is_truncated()
    {
        using var dir = TestEnv.TempDir();
        var full = Clips.Make(dir.File("full.mp4"), seconds: 2);
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(dir.File("cut.mp4"), bytes[..(bytes.Length * 6 / 10)]);
        var e = await Fails(dir.File("cut.mp4"), dir.File("out.mp4"));
        Assert.Equal(MediaError.Truncated, e.Error);
    }

    [SharedFact]
    public async Task Faststart_mp4_cut_in_its_media_data_is_truncated()
    {
        using var dir = TestEnv.TempDir();
        var full = Clips.Make(dir.File("full.mp4"), seconds: 3, extra: "-movflags +faststart");
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(dir.File("cut.mp4"), bytes[..(bytes.Length / 2)]);
        var e = await Fails(dir.File("cut.mp4"), dir.File("out.mp4"));
        Assert.Equal(MediaError.Truncated, e.Error);
        Assert.Contains("frames", e.Message);
    }

    /// <summary>A file whose timestamps do not follow the order the decoder gives its pictures (a muxer fault; a real HEVC phone clip
    /// in mapillary_tools' tests has it) used to crash the tracker with "Frame 6 added after frame 6". It is refused in one line that
    /// says how to repair it, and the same file with its timestamps in order goes through.</summary>
    [SharedFact]
    public async Task Timestamps_out_of_display_order_are_refused_with_the_repair()
    {
        using var dir = TestEnv.TempDir();
        TestEnv.Run("ffmpeg", $"-v error -y -f lavfi -i testsrc2=size=320x240:rate=10 -frames:v 12 -c:v libx264 -bf 0 -pix_fmt yuv420p -f matroska {dir.File("ok.mkv")}");
        // Pictures 3 and 6 swap their stamps (no B-frames: the decoder keeps the file's order, so the stamps go 0.6 s, 0.4 s, 0.5 s, 0.3 s).
        TestEnv.Run("ffmpeg", $"-v error -y -i {dir.File("ok.mkv")} -c copy -bsf:v setts=pts=if(eq(N\\,3)\\,PTS+300\\,if(eq(N\\,6)\\,PTS-300\\,PTS)) {dir.File("swapped.mkv")}");
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(dir.File("swapped.mkv"))));
        var e = await Fails(dir.File("swapped.mkv"), dir.File("out.mkv"));
        Assert.Equal(MediaError.Corrupt, e.Error);
        Assert.Contains("out of display order", e.Message);
        Assert.Contains("setpts=N/FRAME_RATE/TB", e.Message);
        Assert.Equal(hash, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(dir.File("swapped.mkv")))));

        var ok = await model.Anonymizer.AnonymizeFileAsync(dir.File("ok.mkv"), dir.File("ok-out.mkv"), overwrite: false);
        Assert.Equal(12, ok.Counts.Frames);
    }

    [SharedFact]
    public async Task Output_equal_to_input_is_refused_and_the_source_untouched()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.Make(dir.File("a.mp4"), seconds: 1);
        var e = await Fails(src, src);
        Assert.Equal(MediaError.SameAsInput, e.Error);
    }

    [SharedFact]
    public async Task Existing_output_is_not_overwritten_without_the_flag()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.Make(dir.File("a.mp4"), seconds: 1);
        File.WriteAllText(dir.File("out.mp4"), "keep me");
        var e = await Fails(src, dir.File("out.mp4"));
        Assert.Equal(MediaError.OutputExists, e.Error);
        Assert.Equal("keep me", File.ReadAllText(dir.File("out.mp4")));
    }

    /// <summary>Image formats PlateBlur does not read are named in the refusal. An animated WebP (ffmpeg 5.1 cannot decode its frames) used
    /// to be refused as a damaged photo ("its picture data does not decode cleanly"); it is named for what it is.</summary>
    [SharedTheory]
    [InlineData("pic.bmp", "-f lavfi -i testsrc=s=64x48:d=1 -frames:v 1", "a BMP image")]
    [InlineData("anim.webp", "-f lavfi -i testsrc2=size=160x120:rate=5 -t 0.6 -c:v libwebp -loop 0", "an animated WebP")]
    public async Task Unsupported_image_formats_are_named(string name, string make, string named)
    {
        using var dir = TestEnv.TempDir();
        TestEnv.Ffmpeg($"{make} \"{dir.File(name)}\"");
        var e = await Fails(dir.File(name), dir.File("out" + Path.GetExtension(name)));
        Assert.Equal(MediaError.UnsupportedFormat, e.Error);
        Assert.Contains(named, e.Message);
        Assert.DoesNotContain("damaged", e.Message);
    }
}
