using System.Net;
using System.Net.Sockets;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Media;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Media;

/// <summary>The security suite: hostile files are refused before any decoder follows them. Each case: the reason, no output, no
/// temporary file, the source unchanged (hash before and after), and nothing outside the sandbox touched (the playlist's victim clip
/// is not published, and a loopback listener named in a playlist is never contacted).</summary>
public class HostileInputTests(ModelFixture model) : IClassFixture<ModelFixture>
{
    [SharedTheory]
    [InlineData("hls-local", MediaError.NotMedia, "HLS playlist")]
    [InlineData("hls-http", MediaError.NotMedia, "HLS playlist")]
    [InlineData("concat-list", MediaError.NotMedia, "concat list")]
    [InlineData("png-bomb", MediaError.TooLarge, "14000x14000")]
    [InlineData("jpeg-bomb", MediaError.TooLarge, "30000x30000")]
    [InlineData("zero-size", MediaError.Corrupt, "0x0")]
    [InlineData("huge-claim", MediaError.TooLarge, "100000x100000")]
    [InlineData("ten-hour-claim", MediaError.TooLarge, "10 h of media")]
    [InlineData("truncated-moov", MediaError.Truncated, "truncated")]
    [InlineData("scrambled-jpeg", MediaError.Corrupt, "does not decode cleanly")]
    public async Task Hostile_file_is_refused_with_its_reason_and_nothing_is_written(string name, MediaError error, string reason)
    {
        using var dir = TestEnv.TempDir();
        using var victimDir = TestEnv.TempDir();
        string victim = Clips.Make(victimDir.File("private.mp4"), seconds: 2);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            string input = HostileMedia.Make(name, dir.Path, victim, port);
            string output = dir.File("out" + (input.EndsWith(".mp4") ? ".mp4" : Path.GetExtension(input)));
            string hash = HostileMedia.Hash(input);
            var before = Directory.GetFiles(dir.Path).Order().ToList();

            var e = await Assert.ThrowsAsync<MediaException>(() => model.Anonymizer.AnonymizeFileAsync(input, output, overwrite: false));

            Assert.Equal(error, e.Error);
            Assert.Contains(reason, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Equal(before, Directory.GetFiles(dir.Path).Order().ToList()); // no output, no report, no temporary file
            Assert.Equal(hash, HostileMedia.Hash(input));
            Assert.False(listener.Pending(), "the loopback address in the playlist was contacted");
        }
        finally
        {
            listener.Stop();
        }
    }

    [SharedFact]
    public async Task Pattern_named_mp4_holding_a_png_is_one_photo_never_a_sequence()
    {
        using var dir = TestEnv.TempDir();
        var photos = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"));
        // seq%03d.mp4 would be an image-sequence pattern for ffmpeg's image2 demuxer: seq001.mp4 ... are other people's pictures.
        string input = dir.File("seq%03d.mp4");
        TestEnv.Ffmpeg($"-i \"{photos[0].Image}\" -frames:v 1 -f image2 -update 1 -c:v png \"{input}\"");
        for (int i = 1; i <= 3; i++) File.Copy(photos[i].Image, dir.File($"seq{i:000}.mp4"));

        var refused = await Assert.ThrowsAsync<MediaException>(() => model.Anonymizer.AnonymizeFileAsync(input, dir.File("out.mp4"), false));
        Assert.Equal(MediaError.UnsupportedFormat, refused.Error); // a photo: its output must be a photo
        Assert.False(File.Exists(dir.File("out.mp4")));

        var report = await model.Anonymizer.AnonymizeFileAsync(input, dir.File("out.png"), false);
        Assert.Equal("photo", report.Kind);
        Assert.Equal(1, report.Counts.Frames);
        var size = TestEnv.Ffprobe($"-show_entries stream=width,height -of csv=p=0 \"{photos[0].Image}\"").Trim();
        Assert.Equal(size, TestEnv.Ffprobe($"-show_entries stream=width,height -of csv=p=0 \"{dir.File("out.png")}\"").Trim());
    }

    [SharedFact]
    public async Task Source_that_changes_while_it_is_read_gets_no_output()
    {
        using var dir = TestEnv.TempDir();
        string input = Clips.Make(dir.File("growing.mp4"), seconds: 2);
        int reports = 0;
        // Synchronised on the anonymizer's own progress: the file is appended to once frames are flowing.
        var progress = new SyncProgress<AnonymizeProgress>(_ =>
        {
            if (Interlocked.Increment(ref reports) == 3)
                using (var f = new FileStream(input, FileMode.Append)) f.Write(new byte[4096]);
        });
        var e = await Assert.ThrowsAsync<MediaException>(() => model.Anonymizer.AnonymizeFileAsync(input, dir.File("out.mp4"), false, null, progress));
        Assert.Equal(MediaError.SourceChanged, e.Error);
        Assert.Contains("changed while it was being read", e.Message);
        Assert.True(reports >= 3);
        Assert.Equal(["growing.mp4"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToList());
    }

    [SharedFact]
    public async Task Encoder_that_cannot_write_fails_fast_instead_of_hanging()
    {
        using var dir = TestEnv.TempDir();
        string input = Clips.Make(dir.File("in.mp4"), seconds: 4, fps: 25);
        var info = await MediaProbe.ProbeAsync(input);
        var timeline = await FrameTimeline.ScanAsync(input, info.Video!);
        // The encoder's output folder does not exist: ffmpeg exits at once, and the producer must not wait on a full queue forever.
        string output = Path.Combine(dir.File("missing-folder"), "x.mp4");
        var run = Task.Run(async () =>
        {
            await using var writer = new FrameWriter(output, info.Video!.Width, info.Video.Height, info.Video, new EncodeSettings("libx264", 23, "ultrafast"));
            await foreach (var frame in FrameReader.ReadAsync(input, info.Video, timeline))
                await writer.WriteAsync(frame);
            await writer.CompleteAsync();
        });
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120)));
        Assert.Same(run, finished); // a guard against hanging CI, not a timing measurement
        var e = await Assert.ThrowsAsync<MediaException>(() => run);
        Assert.Equal(MediaError.EncodeFailed, e.Error);
    }

    [Fact]
    public void Temporary_files_never_take_an_existing_name()
    {
        using var dir = TestEnv.TempDir();
        // Inputs named like the old temporary names: the new temporary file is always a new, hidden, unique file.
        foreach (var name in new[] { "clip.partial.mp4", "clip.mp4", "v.partial-video.mp4" }) File.WriteAllText(dir.File(name), name);
        using var a = new PartialFile(dir.File("clip.mp4"));
        using var b = new PartialFile(dir.File("clip.mp4"));
        using var c = new PartialFile(dir.File("v.mp4"), "partial-video");
        Assert.NotEqual(a.TempPath, b.TempPath);
        foreach (var p in new[] { a, b, c })
        {
            Assert.StartsWith(".", Path.GetFileName(p.TempPath));
            Assert.True(PartialFile.IsTemporaryName(p.TempPath));
            Assert.True(File.Exists(p.TempPath));
        }
        a.Dispose(); b.Dispose(); c.Dispose();
        Assert.Equal(["clip.mp4", "clip.partial.mp4", "v.partial-video.mp4"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order().ToList());
        Assert.False(PartialFile.IsTemporaryName(dir.File("clip.partial.mp4")));
    }

    [Fact]
    public void Sniffing_trusts_bytes_not_names()
    {
        Assert.Equal(ContainerKind.Jpeg, MediaGuard.Classify([0xFF, 0xD8, 0xFF, 0xE0]));
        Assert.Equal(ContainerKind.Matroska, MediaGuard.Classify([0x1A, 0x45, 0xDF, 0xA3, 0x9F]));
        Assert.Equal(ContainerKind.IsoMedia, MediaGuard.Classify([0, 0, 0, 0x20, .. "ftypisom"u8.ToArray()]));
        Assert.Equal(ContainerKind.Avi, MediaGuard.Classify([.. "RIFF"u8.ToArray(), 0, 0, 0, 0, .. "AVI "u8.ToArray()]));
        Assert.Equal(ContainerKind.Webp, MediaGuard.Classify([.. "RIFF"u8.ToArray(), 0, 0, 0, 0, .. "WEBP"u8.ToArray()]));
        Assert.Null(MediaGuard.Classify("#EXTM3U\n#EXTINF:1.0,\n/etc/x.mp4"u8));
        Assert.Null(MediaGuard.Classify("ffconcat version 1.0\n"u8));
        Assert.Null(MediaGuard.Classify("<?xml version=\"1.0\"?><MPD>"u8));
        Assert.Null(MediaGuard.Classify([.. "RIFF"u8.ToArray(), 0, 0, 0, 0, .. "WAVE"u8.ToArray()]));
        // MPEG-TS: a sync byte every 188 bytes (or 192 with a timecode before each: M2TS, AVCHD .mts); one or two alone are not enough.
        static byte[] Packets(int size, int offset, int count) { var b = new byte[size * count + offset + 8]; for (int i = 0; i < count; i++) b[offset + i * size] = 0x47; return b; }
        Assert.Equal(ContainerKind.MpegTs, MediaGuard.Classify(Packets(188, 0, 3)));
        Assert.Equal(ContainerKind.MpegTs, MediaGuard.Classify(Packets(192, 4, 3)));
        Assert.Null(MediaGuard.Classify(Packets(188, 0, 2)));
        Assert.Null(MediaGuard.Classify("G is for a text file that starts with G"u8));
        Assert.Equal(ContainerKind.MpegPs, MediaGuard.Classify([0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 0, 0x03, 0xFF, 0xF8])); // MPEG-2 pack header
        Assert.Null(MediaGuard.Classify([0, 0, 1, 0xBA, 0x00, 0, 4, 0, 4, 1, 0, 0x03, 0xFF, 0xF8]));
        // An animated WebP is named as such (ffmpeg 5.1 cannot decode it; it used to be refused as a damaged photo); a still one is a photo.
        byte[] vp8x = [.. "RIFF"u8.ToArray(), 0, 0, 0, 0, .. "WEBPVP8X"u8.ToArray(), 10, 0, 0, 0, 0x12, 0, 0, 0, 0x3F, 1, 0, 0xEF, 0, 0];
        Assert.True(MediaGuard.IsAnimatedWebp(vp8x));
        vp8x[20] = 0x10; // alpha only
        Assert.False(MediaGuard.IsAnimatedWebp(vp8x));
        Assert.False(MediaGuard.IsAnimatedWebp([.. "RIFF"u8.ToArray(), 0, 0, 0, 0, .. "WEBPVP8L"u8.ToArray(), 0, 0, 0, 0, 0x2F]));
        Assert.Equal(ContainerKind.Nut, MediaGuard.Classify("nut/multimedia container\0"u8)); // accepted for PlateBlur's own work files only:
        using var dir = TestEnv.TempDir();
        File.WriteAllBytes(dir.File("seg.mp4"), "nut/multimedia container\0"u8.ToArray());
        Assert.Equal(MediaError.NotMedia, Assert.Throws<MediaException>(() => MediaGuard.Sniff(dir.File("seg.mp4"))).Error);
        Assert.Equal(ContainerKind.Nut, MediaGuard.Sniff(dir.File("seg.mp4"), allowWorkFormats: true));
    }
}

/// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, which would race the assertions).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
