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

    [SharedFact]
    public async Task Unsupported_image_format_is_named()
    {
        using var dir = TestEnv.TempDir();
        TestEnv.Ffmpeg($"-f lavfi -i testsrc=s=64x48:d=1 -frames:v 1 \"{dir.File("pic.bmp")}\"");
        var e = await Fails(dir.File("pic.bmp"), dir.File("out.bmp"));
        Assert.Equal(MediaError.UnsupportedFormat, e.Error);
    }
}
