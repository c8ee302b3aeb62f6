using System.Text.Json;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

public class AnonymizeCommandTests
{
    [SharedFact]
    public void Video_run_prints_progress_lines_and_a_summary_and_writes_the_report()
    {
        using var dir = TestEnv.TempDir();
        var r = CliRunner.Run("anonymize", TestEnv.Shared("samples", "uk_rain_street.mp4"), "-o", dir.File("out.mp4"), "--preset", "ultrafast");
        Assert.Equal(0, r.ExitCode);
        // Output is redirected, so progress comes as plain lines, not a redrawn bar.
        Assert.Contains(r.ErrorLines, l => l.StartsWith("uk_rain_street.mp4: 140/140 frames (100 %)"));
        Assert.DoesNotContain('\r', r.Stderr);
        var summary = Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"uk_rain_street\.mp4 -> .*out\.mp4: 140 frames, \d+ masks in \d+ frames, \d+ tracks, [\d.]+ s, [\d.]+ fps", summary);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out.mp4.report.json")));
        Assert.Equal(140, report.RootElement.GetProperty("counts").GetProperty("frames").GetInt64());
        // the default model, the one the manifest lists (the bundled file's own hash is checked in ModelStoreTests)
        var manifest = PlateBlur.Core.Models.ModelManifest.Embedded;
        Assert.Equal(manifest.Default, report.RootElement.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(manifest.Find(manifest.Default).Sha256, report.RootElement.GetProperty("model").GetProperty("sha256").GetString());
        Assert.True(report.RootElement.GetProperty("frames").GetArrayLength() > 100);
    }

    [SharedTheory]
    [InlineData("missing.mp4", null, "does not exist")]
    [InlineData("empty.mp4", "", "is empty (0 bytes)")]
    [InlineData("notes.mov", "meeting notes\n", "is not a supported media container (it is text)")]
    public void Bad_input_exits_non_zero_with_one_line_and_writes_nothing(string name, string? content, string reason)
    {
        using var dir = TestEnv.TempDir();
        if (content != null) File.WriteAllText(dir.File(name), content);
        var r = CliRunner.Run("anonymize", dir.File(name), "-o", dir.File("out.mp4"), "--quiet");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("plateblur: ", line);
        Assert.Contains(reason, line);
        Assert.Equal(content == null ? 0 : 1, Directory.GetFiles(dir.Path).Length);
    }

    [SharedFact]
    public void Existing_output_needs_overwrite()
    {
        using var dir = TestEnv.TempDir();
        var photo = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[1].Image;
        File.WriteAllText(dir.File("out.jpg"), "old");
        var refused = CliRunner.Run("anonymize", photo, "-o", dir.File("out.jpg"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--overwrite", refused.Stderr);
        Assert.Equal("old", File.ReadAllText(dir.File("out.jpg")));
        var replaced = CliRunner.Run("anonymize", photo, "-o", dir.File("out.jpg"), "--overwrite");
        Assert.Equal(0, replaced.ExitCode);
        Assert.True(new FileInfo(dir.File("out.jpg")).Length > 1000);
    }

    [SharedFact]
    public void Same_path_for_input_and_output_is_refused()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.Make(dir.File("a.mp4"), seconds: 1);
        long size = new FileInfo(src).Length;
        var r = CliRunner.Run("anonymize", src, "-o", src, "--overwrite");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is the input file", r.Stderr);
        Assert.Equal(size, new FileInfo(src).Length);
    }

    [SharedFact]
    public void Folder_input_is_mirrored_and_a_bad_file_does_not_stop_the_others()
    {
        using var dir = TestEnv.TempDir();
        var input = Directory.CreateDirectory(dir.File("in")).FullName;
        Directory.CreateDirectory(Path.Combine(input, "cars", "eu"));
        var eu = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"));
        File.Copy(eu[0].Image, Path.Combine(input, "cars", "eu", "a.jpg"));
        File.Copy(eu[2].Image, Path.Combine(input, "b.jpg"));
        Clips.Make(Path.Combine(input, "cars", "clip.mp4"), seconds: 1);
        File.WriteAllText(Path.Combine(input, "broken.mp4"), "not a video");
        File.WriteAllText(Path.Combine(input, "readme.txt"), "ignored");
        var r = CliRunner.Run("anonymize", input, "-o", dir.File("out"), "--report", dir.File("summary.json"), "--quiet");
        Assert.Equal(1, r.ExitCode); // one file failed
        Assert.True(File.Exists(dir.File("out/cars/eu/a.jpg")));
        Assert.True(File.Exists(dir.File("out/cars/eu/a.jpg.report.json")));
        Assert.True(File.Exists(dir.File("out/b.jpg")));
        Assert.True(File.Exists(dir.File("out/cars/clip.mp4")));
        Assert.False(File.Exists(dir.File("out/broken.mp4")));
        Assert.False(File.Exists(dir.File("out/readme.txt")));
        Assert.Contains("broken.mp4", r.Stderr);
        Assert.Contains("3 of 4 files anonymized, 1 failed", r.Stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("files").GetArrayLength());
        Assert.Empty(Directory.GetFiles(dir.File("out"), "*", SearchOption.AllDirectories).Where(PlateBlur.Core.Anonymization.PartialFile.IsTemporaryName));
    }

    [Fact]
    public void Models_list_names_the_default()
    {
        var r = CliRunner.Run("models", "list");
        Assert.Equal(0, r.ExitCode);
        string name = PlateBlur.Core.Models.ModelManifest.Embedded.Default;
        Assert.Contains(r.Stdout.Split('\n'), l => l.StartsWith(name + " ") && l.EndsWith("(default)"));
        Assert.Contains(r.Stdout.Split('\n'), l => l.StartsWith("hyperlpr3-640 ") && l.Contains("threshold 0.10"));
    }
}
