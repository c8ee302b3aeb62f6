using System.Text.Json;
using Microsoft.DurableTask.Client;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Orchestration.Tests;

/// <summary>The whole pipeline against Azurite with the real model and media.</summary>
public class PipelineTests(ITestOutputHelper log)
{
    private static MediaOutcome Outcome(OrchestrationMetadata m)
    {
        Assert.True(m.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{m.RuntimeStatus}: {m.FailureDetails?.ErrorMessage}");
        return m.ReadOutputAs<MediaOutcome>()!;
    }

    [StorageFact]
    public async Task Video_and_photo_end_in_outbox_with_report_and_contact_sheet_and_one_event_each()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SegmentSeconds"] = "2", ["PlateBlur:TileEvery"] = "1" });
        var video = await h.UploadAsync(TestEnv.Shared("samples", "uk_rain_street.mp4"), "street clip.mp4");
        var photo = await h.UploadAsync(PlatePhotos.QcCleanPhoto(), "photos/café.jpg");

        var v = Outcome(await h.RunAsync(video.Name, video.ETag, video.Size));
        var p = Outcome(await h.RunAsync(photo.Name, photo.ETag, photo.Size));
        log.WriteLine($"video: {v}\nphoto: {p}");
        Assert.Equal("anonymized", v.Status);
        Assert.Equal("anonymized", p.Status);
        Assert.True(v.Segments >= 2, $"{v.Segments} segments");
        Assert.Equal(140, v.Frames);

        var outbox = await h.ListAsync(Containers.Outbox);
        foreach (var name in new[] { video.Name, photo.Name })
        {
            Assert.Contains(name, outbox);
            Assert.Contains(name + ".report.json", outbox);
            Assert.Contains(name + ".qc.png", outbox);
            Assert.Null(await h.Blobs.PropertiesAsync(Containers.Inbox, name)); // default policy: delete
        }
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(Containers.Outbox, video.Name + ".report.json"), AnonymizationReport.Json)!;
        Assert.Equal(140, report.Output!.FrameCount);
        Assert.True(report.Qc!.Passed);
        Assert.Equal(12, report.Qc.Samples);
        Assert.True(report.Frames.Count > 100);
        Assert.Empty(await h.ListAsync(Containers.Work, InboxStarter.InstanceIdFor(video.Name, video.ETag)));

        foreach (var (name, kind) in new[] { (video.Name, "video"), (photo.Name, "photo") })
        {
            var e = Assert.Single(h.Sink.For($"inbox/{name}"));
            Assert.Equal("1.0", e.GetProperty("specversion").GetString());
            Assert.Equal(EventTypes.MediaAnonymized, e.GetProperty("type").GetString());
            var data = e.GetProperty("data");
            Assert.Equal(kind, data.GetProperty("kind").GetString());
            Assert.Equal(h.Blobs.UriOf(Containers.Outbox, name).ToString(), data.GetProperty("output").GetString());
            Assert.EndsWith(".report.json", data.GetProperty("report").GetString());
            Assert.EndsWith(".qc.png", data.GetProperty("contactSheet").GetString());
            Assert.True(data.GetProperty("qc").GetProperty("passed").GetBoolean());
            Assert.Equal("deleted", data.GetProperty("sourcePolicy").GetString());
            Assert.True(data.GetProperty("masks").GetInt64() > 0);
        }
    }

    /// <summary>A camcorder's AVCHD file (192-byte MPEG-TS, .mts) goes through the segmented pipeline: its segments read their own range of
    /// the transport stream in place, and the output is MP4, named with ".mp4" added. Both it (first frame at 1.4 s) and an MP4 whose first
    /// frame is at 1.5 s keep their start: the concat demuxer that joins the segments starts at 0, and the output check refused them.</summary>
    [StorageTheory]
    [InlineData("camcorder/street.mts", "-map 0 -c copy -f mpegts -mpegts_m2ts_mode 1", "camcorder/street.mts.mp4", "mpegts", 1.4)]
    [InlineData("late/street.mp4", "-map 0 -c copy -output_ts_offset 1.5", "late/street.mp4", "mov", 1.5)]
    public async Task A_source_that_starts_late_is_split_read_in_place_and_keeps_its_start(string name, string remux, string outputName, string format, double start)
    {
        using var dir = TestEnv.TempDir();
        string local = dir.File(Path.GetFileName(name));
        TestEnv.Ffmpeg($"-i \"{TestEnv.Shared("samples", "uk_rain_street.mp4")}\" {remux} \"{local}\"");
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SegmentSeconds"] = "2", ["PlateBlur:TileEvery"] = "1" });
        var video = await h.UploadAsync(local, name);
        var v = Outcome(await h.RunAsync(video.Name, video.ETag, video.Size));
        log.WriteLine($"video: {v}");
        Assert.Equal("anonymized", v.Status);
        Assert.True(v.Segments >= 2, $"{v.Segments} segments");
        Assert.Equal(140, v.Frames);
        string published = video.Name[..^name.Length] + outputName;
        Assert.Contains(published, await h.ListAsync(Containers.Outbox));
        var report = JsonSerializer.Deserialize<AnonymizationReport>(await h.Blobs.ReadTextAsync(Containers.Outbox, published + ".report.json"), AnonymizationReport.Json)!;
        Assert.StartsWith(format, report.Input.Format);
        Assert.Equal(140, report.Output!.FrameCount);
        Assert.StartsWith("mov", report.Output.Format);
        string outFile = dir.File("published.mp4");
        await h.Blobs.DownloadAsync(Containers.Outbox, published, outFile, default);
        double first = double.Parse(TestEnv.Ffprobe($"-select_streams v:0 -show_entries packet=pts_time -read_intervals %+#1 -of csv=p=0 \"{outFile}\"").Trim().TrimEnd(','),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(start, first, 1);
    }

    [StorageFact]
    public async Task Same_blob_version_twice_starts_one_orchestration_and_a_new_version_starts_another()
    {
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:SourcePolicy"] = "keep" });
        var photo = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-us"))[1].Image, "dup.jpg");
        var first = await h.Starter.StartAsync(h.Client, photo.Name, photo.ETag, photo.Size);
        var second = await h.Starter.StartAsync(h.Client, photo.Name, photo.ETag, photo.Size);
        Assert.True(first.Started);
        Assert.False(second.Started);
        Assert.Equal(first.InstanceId, second.InstanceId);
        await h.Client.WaitForInstanceCompletionAsync(first.InstanceId, true);
        var again = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-us"))[1].Image, "dup.jpg");
        Assert.NotEqual(photo.ETag, again.ETag);
        var third = await h.Starter.StartAsync(h.Client, again.Name, again.ETag, again.Size);
        Assert.True(third.Started);
        Assert.NotEqual(first.InstanceId, third.InstanceId);
        await h.Client.WaitForInstanceCompletionAsync(third.InstanceId, true);
        Assert.Equal(2, h.Sink.For($"inbox/{photo.Name}").Count);
    }

    [StorageFact]
    public async Task Corrupt_file_goes_to_quarantine_with_a_reason_and_the_source_stays()
    {
        await using var h = await PipelineHarness.StartAsync();
        using var dir = TestEnv.TempDir();
        var full = Clips.Make(dir.File("full.mp4"), seconds: 2);
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(dir.File("cut.mp4"), bytes[..(bytes.Length / 2)]);
        File.WriteAllText(dir.File("notes.mp4"), "not a video at all");
        foreach (var name in new[] { "cut.mp4", "notes.mp4" })
        {
            var blob = await h.UploadAsync(dir.File(name), $"deep/er/{name}");
            var o = Outcome(await h.RunAsync(blob.Name, blob.ETag, blob.Size));
            Assert.Equal("rejected", o.Status);
            Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, blob.Name));
            var reason = await h.Blobs.ReadTextAsync(Containers.Quarantine, blob.Name + ".reason.json");
            Assert.Contains(name == "cut.mp4" ? "truncated" : "not a supported media container", reason);
            Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Quarantine, blob.Name));
            var e = Assert.Single(h.Sink.For($"inbox/{blob.Name}"));
            Assert.Equal(EventTypes.AnonymizationFailed, e.GetProperty("type").GetString());
            Assert.Contains(name, e.GetProperty("data").GetProperty("failureReason").GetString());
        }
        var empty = Path.Combine(dir.Path, "empty.mov");
        File.WriteAllBytes(empty, []);
        var eb = await h.UploadAsync(empty, "empty.mov");
        Assert.Contains("empty", Outcome(await h.RunAsync(eb.Name, eb.ETag, eb.Size)).Reason);
    }

    [StorageFact]
    public async Task Hostile_files_land_in_quarantine_with_their_reason_and_nothing_is_fetched()
    {
        await using var h = await PipelineHarness.StartAsync();
        using var dir = TestEnv.TempDir();
        // The victim a playlist points at: a clip elsewhere on the worker's disk that must never reach outbox/.
        string victim = Clips.Make(dir.File("victim-private.mp4"), seconds: 2);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var expected = new Dictionary<string, string>
            {
                ["hls-local"] = "HLS playlist", ["hls-http"] = "HLS playlist", ["concat-list"] = "concat list", ["png-bomb"] = "14000x14000",
                ["jpeg-bomb"] = "30000x30000", ["zero-size"] = "0x0", ["huge-claim"] = "100000x100000", ["ten-hour-claim"] = "10 h of media",
                ["truncated-moov"] = "truncated", ["scrambled-jpeg"] = "does not decode cleanly",
            };
            Assert.Equal(HostileMedia.Cases.Order(), expected.Keys.Order());
            foreach (var (name, reason) in expected)
            {
                string file = HostileMedia.Make(name, dir.Path, victim, port);
                var blob = await h.UploadAsync(file, $"hostile/{Path.GetFileName(file)}");
                var o = Outcome(await h.RunAsync(blob.Name, blob.ETag, blob.Size));
                Assert.True(o.Status == "rejected", $"{name}: {o.Status} {o.Reason}");
                Assert.Contains(reason, await h.Blobs.ReadTextAsync(Containers.Quarantine, blob.Name + ".reason.json"));
                Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, blob.Name)); // the source stays for a person to look at
            }
            Assert.Empty(await h.ListAsync(Containers.Outbox));
            Assert.False(listener.Pending(), "a playlist's loopback URL was contacted");
        }
        finally
        {
            listener.Stop();
        }
    }

    [StorageFact]
    public async Task Qc_failure_quarantines_the_output_keeps_the_source_and_says_so()
    {
        // A threshold so high that nothing is masked: QC, at its lower threshold, finds the plates.
        await using var h = await PipelineHarness.StartAsync(new() { ["PlateBlur:Threshold"] = "0.99" });
        var photo = await h.UploadAsync(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[3].Image, "qc.jpg");
        var o = Outcome(await h.RunAsync(photo.Name, photo.ETag, photo.Size));
        Assert.Equal("qc-failed", o.Status);
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Inbox, photo.Name));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Quarantine, photo.Name));
        Assert.NotNull(await h.Blobs.PropertiesAsync(Containers.Quarantine, photo.Name + ".qc.png"));
        Assert.Null(await h.Blobs.PropertiesAsync(Containers.Outbox, photo.Name));
        var e = Assert.Single(h.Sink.For($"inbox/{photo.Name}"));
        Assert.Equal(EventTypes.QcFailed, e.GetProperty("type").GetString());
        Assert.False(e.GetProperty("data").GetProperty("qc").GetProperty("passed").GetBoolean());
        Assert.Equal("kept", e.GetProperty("data").GetProperty("sourcePolicy").GetString());
    }
}
