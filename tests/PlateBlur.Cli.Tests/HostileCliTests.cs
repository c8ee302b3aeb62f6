using System.Diagnostics;
using PlateBlur.Core.Anonymization;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

/// <summary>The hostile probe's command-line findings, each a regression test: the source is never deleted or overwritten, every
/// failure is one clear line, a folder run goes on past a file it cannot write, and Ctrl+C/SIGTERM leave nothing behind.</summary>
public class HostileCliTests
{
    private static void NoTemporaryFiles(string dir) =>
        Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(PartialFile.IsTemporaryName));

    [SharedTheory]
    [InlineData("clip.partial.mp4", "clip.mp4")]
    [InlineData("v.partial-video.mp4", "v.mkv")]
    [InlineData("car.partial.jpg", "car.jpg")]
    public void Source_named_like_a_temporary_file_survives(string input, string output)
    {
        using var dir = TestEnv.TempDir();
        if (input.EndsWith(".jpg")) File.Copy(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[1].Image, dir.File(input));
        else Clips.Make(dir.File(input), seconds: 1);
        string hash = HostileMedia.Hash(dir.File(input));

        var r = CliRunner.Run("anonymize", dir.File(input), "-o", dir.File(output), "--quiet");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(dir.File(input)), "the source was deleted");
        Assert.Equal(hash, HostileMedia.Hash(dir.File(input)));
        Assert.True(File.Exists(dir.File(output)));
        NoTemporaryFiles(dir.Path);
    }

    [SharedFact]
    public void Output_through_a_linked_folder_onto_the_source_is_refused()
    {
        using var dir = TestEnv.TempDir();
        Directory.CreateDirectory(dir.File("real"));
        string src = Clips.Make(dir.File("real/clip.mp4"), seconds: 1);
        File.CreateSymbolicLink(dir.File("alias"), dir.File("real"));
        string hash = HostileMedia.Hash(src);

        var r = CliRunner.Run("anonymize", src, "-o", dir.File("alias/clip.mp4"), "--overwrite", "--quiet");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is the input file", r.Stderr);
        Assert.Equal(hash, HostileMedia.Hash(src));
        NoTemporaryFiles(dir.Path);
    }

    [SharedFact]
    public void Playlist_named_mp4_is_refused_and_publishes_nothing()
    {
        using var dir = TestEnv.TempDir();
        using var other = TestEnv.TempDir();
        string victim = Clips.Make(other.File("someone-elses.mp4"), seconds: 2);
        string evil = HostileMedia.Make("hls-local", dir.Path, victim, 9);
        var r = CliRunner.Run("anonymize", evil, "-o", dir.File("out.mp4"), "--quiet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not a supported media container (it is an HLS playlist)", r.Stderr);
        Assert.False(File.Exists(dir.File("out.mp4")));
        NoTemporaryFiles(dir.Path);
    }

    [SharedFact]
    public void Unwritable_output_is_one_clear_line_and_a_folder_run_goes_on()
    {
        using var dir = TestEnv.TempDir();
        var photo = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[0].Image;
        // A regular file where the output folder should be: not writable even for root (tests run as root, where chmod does not bite).
        File.WriteAllText(dir.File("blocked"), "a file, not a folder");
        var single = CliRunner.Run("anonymize", photo, "-o", dir.File("blocked/car.jpg"), "--quiet");
        Assert.Equal(1, single.ExitCode);
        Assert.Single(single.ErrorLines);
        Assert.StartsWith("plateblur: Cannot create the output folder", single.ErrorLines[0]);
        Assert.DoesNotContain("   at ", single.Stderr);

        // Folder mode: out/b is blocked by a file, out/a is fine: a is done, b fails with its reason, the summary counts both.
        Directory.CreateDirectory(dir.File("in/a"));
        Directory.CreateDirectory(dir.File("in/b"));
        File.Copy(photo, dir.File("in/a/car.jpg"));
        File.Copy(photo, dir.File("in/b/car.jpg"));
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/b"), "a file, not a folder");
        var folder = CliRunner.Run("anonymize", dir.File("in"), "-o", dir.File("out"), "--quiet");
        Assert.Equal(1, folder.ExitCode);
        Assert.True(File.Exists(dir.File("out/a/car.jpg")));
        Assert.Contains(folder.ErrorLines, l => l.StartsWith("plateblur: b/car.jpg: Cannot create the output folder"));
        Assert.Contains("1 of 2 files anonymized, 1 failed", folder.Stdout);
        Assert.DoesNotContain("   at ", folder.Stderr);
        NoTemporaryFiles(dir.Path);
    }

    [SharedTheory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public void Signal_mid_run_removes_temporary_files_and_says_cancelled(string signal)
    {
        using var dir = TestEnv.TempDir();
        string src = Clips.Make(dir.File("long.mp4"), seconds: 30, fps: 25, size: "640x360");
        string hash = HostileMedia.Hash(src);
        // Through coreutils' env --default-signal: a test run started in the background of a non-interactive shell (nohup … &) inherits
        // SIGINT ignored, and a CLI rightly keeps ignoring it there (POSIX background jobs do); the child gets the default disposition
        // so it sees the Ctrl+C this test sends, wherever the test runs.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "plateblur.dll"), "anonymize", src, "-o", dir.File("out.mp4") }) psi.ArgumentList.Add(a);
        psi.Environment["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir;
        if (TestEnv.Models.MirrorDir != null) psi.Environment["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        // Synchronised on the run itself: signal once frames are being encoded (the temporary video file exists and grows).
        var deadline = DateTime.UtcNow.AddMinutes(3);
        string? temp = null;
        while (DateTime.UtcNow < deadline && !p.HasExited)
        {
            temp = Directory.GetFiles(dir.Path).FirstOrDefault(f => PartialFile.IsTemporaryName(f) && f.Contains("partial-video") && new FileInfo(f).Length > 0);
            if (temp != null) break;
            Thread.Sleep(100); // polling a condition, not a timed assertion
        }
        Assert.NotNull(temp);
        Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "plateblur did not stop after the signal");
        _ = stdout.Result;

        Assert.Equal(130, p.ExitCode);
        Assert.Contains("plateblur: cancelled", stderr);
        Assert.Equal(["long.mp4"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToList());
        Assert.Equal(hash, HostileMedia.Hash(src));
    }
}
