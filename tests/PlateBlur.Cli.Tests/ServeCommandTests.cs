using System.Diagnostics;
using Azure.Storage.Blobs;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

public class ServeCommandTests
{
    private static string Storage => TestEnv.Storage ?? throw new InvalidOperationException("PLATEBLUR_STORAGE (Azurite) is not set.");

    [StorageFact]
    public async Task Serve_picks_up_an_uploaded_photo_and_publishes_it_to_outbox()
    {
        string prefix = "serve-" + Guid.NewGuid().ToString("N")[..8];

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "plateblur.dll"), "serve", "--storage", Storage, "--poll-seconds", "0.5", "--source-policy", "move", "--prefix", prefix + "/" })
            psi.ArgumentList.Add(a);
        psi.Environment["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir;
        if (TestEnv.Models.MirrorDir != null) psi.Environment["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;
        using var serve = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        serve.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        serve.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        serve.BeginErrorReadLine(); serve.BeginOutputReadLine();
        try
        {
            var photo = PlatePhotos.QcCleanPhoto();
            var upload = CliRunner.Run("upload", photo, "--storage", Storage, "--prefix", prefix);
            Assert.Equal(0, upload.ExitCode);
            string name = $"{prefix}/{Path.GetFileName(photo)}";
            var service = new BlobServiceClient(Storage);
            var deadline = DateTime.UtcNow.AddMinutes(3);
            // The move to archive/ is a copy, then the delete from inbox/: wait for both before looking.
            while (DateTime.UtcNow < deadline && (!(await service.GetBlobContainerClient("archive").GetBlobClient(name).ExistsAsync()).Value
                || (await service.GetBlobContainerClient("inbox").GetBlobClient(name).ExistsAsync()).Value))
                await Task.Delay(500);
            bool published = (await service.GetBlobContainerClient("outbox").GetBlobClient(name).ExistsAsync()).Value;
            if (!published)
            {
                // Say why: a quarantined output's report holds QC's residual detections (box and score), the only way to tell a
                // borderline false alarm from a leak after the fact.
                var q = service.GetBlobContainerClient("quarantine").GetBlobClient(name + ".report.json");
                string qc = (await q.ExistsAsync()).Value
                    ? (System.Text.Json.JsonDocument.Parse((await q.DownloadContentAsync()).Value.Content.ToString()).RootElement.TryGetProperty("qc", out var e) ? e.ToString() : "no qc section")
                    : "no report in quarantine/";
                lock (log) Assert.Fail($"not published; QC: {qc}\n{log}");
            }
            Assert.True((await service.GetBlobContainerClient("outbox").GetBlobClient(name + ".report.json").ExistsAsync()).Value);
            Assert.True((await service.GetBlobContainerClient("archive").GetBlobClient(name).ExistsAsync()).Value);
            Assert.False((await service.GetBlobContainerClient("inbox").GetBlobClient(name).ExistsAsync()).Value);
        }
        finally
        {
            serve.Kill(true);
            serve.WaitForExit(10_000);
        }
    }

    /// <summary>A running plateblur serve whose log the test can wait on.</summary>
    private sealed class Serve : IDisposable
    {
        private readonly Process _p;
        private readonly System.Text.StringBuilder _log = new();

        public Serve(params string[] args) : this(args, null) { }

        public Serve(string[] args, Dictionary<string, string>? env)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "plateblur.dll"));
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir;
            if (TestEnv.Models.MirrorDir != null) psi.Environment["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;
            foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
            _p = Process.Start(psi)!;
            _p.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            _p.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            _p.BeginErrorReadLine(); _p.BeginOutputReadLine();
        }

        public string Log { get { lock (_log) return _log.ToString(); } }

        /// <summary>Polls the log for a line until the deadline.</summary>
        public async Task WaitForAsync(string text, TimeSpan within)
        {
            var deadline = DateTime.UtcNow + within;
            while (!Log.Contains(text))
            {
                Assert.True(DateTime.UtcNow < deadline && !_p.HasExited, $"serve never logged '{text}':\n{Log}");
                await Task.Delay(200);
            }
        }

        public void Dispose()
        {
            try { _p.Kill(true); } catch (InvalidOperationException) { }
            _p.WaitForExit(10_000);
            _p.Dispose();
        }
    }

    [StorageFact]
    public async Task A_restarted_serve_does_not_process_a_kept_source_again()
    {
        string prefix = "serve-" + Guid.NewGuid().ToString("N")[..8];
        string[] args = ["serve", "--storage", Storage, "--poll-seconds", "0.5", "--source-policy", "keep", "--prefix", prefix + "/"];
        var photo = PlatePhotos.QcCleanPhoto();
        string name = $"{prefix}/{Path.GetFileName(photo)}";
        var service = new BlobServiceClient(Storage);
        Azure.ETag published;
        using (var first = new Serve(args))
        {
            Assert.Equal(0, CliRunner.Run("upload", photo, "--storage", Storage, "--prefix", prefix).ExitCode);
            await first.WaitForAsync(": anonymized:", TimeSpan.FromMinutes(3)); // logged once the run ended (after its ledger entry)
            Assert.Contains($"Started pb-", first.Log);
            published = (await service.GetBlobContainerClient("outbox").GetBlobClient(name).GetPropertiesAsync()).Value.ETag;
        }
        // Restart: the source is still in inbox/ (keep), the new process's Durable Task backend is empty.
        Assert.True((await service.GetBlobContainerClient("inbox").GetBlobClient(name).ExistsAsync()).Value);
        using var second = new Serve(args);
        await second.WaitForAsync("was already processed", TimeSpan.FromMinutes(2));
        Assert.DoesNotContain("Started pb-", second.Log);
        Assert.Equal(published, (await service.GetBlobContainerClient("outbox").GetBlobClient(name).GetPropertiesAsync()).Value.ETag);
    }

    [StorageFact]
    public async Task Serve_with_an_otlp_endpoint_sends_the_files_trace_and_the_metrics_there()
    {
        using var collector = new HttpSink();
        string prefix = "serve-" + Guid.NewGuid().ToString("N")[..8];
        string[] args = ["serve", "--storage", Storage, "--poll-seconds", "0.5", "--source-policy", "keep", "--prefix", prefix + "/", "--backend", "memory",
            "--otlp-endpoint", collector.Url, "--otlp-protocol", "http"];
        // Export every half second instead of every 5 s (spans) and 60 s (metrics): standard OpenTelemetry variables.
        using var serve = new Serve(args, new() { ["OTEL_METRIC_EXPORT_INTERVAL"] = "500", ["OTEL_BSP_SCHEDULE_DELAY"] = "500" });
        var photo = PlatePhotos.QcCleanPhoto();
        Assert.Equal(0, CliRunner.Run("upload", photo, "--storage", Storage, "--prefix", prefix).ExitCode);
        await serve.WaitForAsync(": anonymized:", TimeSpan.FromMinutes(3));
        // OTLP/HTTP bodies are protobuf: span names, metric names and attribute values appear in them as UTF-8.
        string id = Orchestration.Trigger.InboxStarter.InstanceIdFor($"{prefix}/{Path.GetFileName(photo)}",
            (await new BlobServiceClient(Storage).GetBlobContainerClient("inbox").GetBlobClient($"{prefix}/{Path.GetFileName(photo)}").GetPropertiesAsync()).Value.ETag.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(90);
        bool Has(string path, params string[] texts) => collector.Bodies(path).Any(b => texts.All(t => b.Contains(t, StringComparison.Ordinal)));
        while (!(Has("/v1/traces", "AnonymizeMedia", id) && Has("/v1/traces", "AnonymizePhoto", id) && Has("/v1/metrics", "plateblur.frames", "photo")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"collector got: {string.Join(", ", collector.Paths)}\n{serve.Log}");
            await Task.Delay(250);
        }
        Assert.True(Has("/v1/metrics", "plateblur.latency", "outbox"));
        Assert.True(Has("/v1/traces", "plateblur-serve"));
    }

    /// <summary>A loopback HTTP endpoint that keeps every request body (as Latin-1 text) by path.</summary>
    private sealed class HttpSink : IDisposable
    {
        private readonly System.Net.HttpListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Path, string Body)> _got = new();
        private readonly Task _loop;

        public HttpSink()
        {
            int port = Orchestration.PipelineServices.FreeLoopbackPort();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    System.Net.HttpListenerContext ctx;
                    try { ctx = await _listener.GetContextAsync(); } catch { break; }
                    using var ms = new MemoryStream();
                    await ctx.Request.InputStream.CopyToAsync(ms);
                    _got.Enqueue((ctx.Request.Url!.AbsolutePath, System.Text.Encoding.Latin1.GetString(ms.ToArray())));
                    ctx.Response.StatusCode = 200;
                    ctx.Response.Close();
                }
            });
        }

        public string Url { get; }
        public IEnumerable<string> Paths => _got.Select(g => g.Path).Distinct();
        public IEnumerable<string> Bodies(string path) => _got.Where(g => g.Path == path).Select(g => g.Body);

        public void Dispose()
        {
            _listener.Stop();
            try { _loop.Wait(2000); } catch { }
            _listener.Close();
        }
    }

    private static int Count(string log, string text)
    {
        int n = 0;
        for (int i = log.IndexOf(text, StringComparison.Ordinal); i >= 0; i = log.IndexOf(text, i + text.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [StorageFact]
    public async Task Serve_with_the_durable_backend_resumes_an_interrupted_video_without_running_finished_activities_again()
    {
        string prefix = "serve-" + Guid.NewGuid().ToString("N")[..8];
        string hub = "t" + Guid.NewGuid().ToString("N")[..12];
        string[] args = ["serve", "--storage", Storage, "--poll-seconds", "0.5", "--source-policy", "keep", "--prefix", prefix + "/",
            "--backend", "durable", "--task-hub", hub, "--segment-seconds", "1", "--max-segments-in-flight", "1"];
        using var dir = TestEnv.TempDir();
        var clip = Clips.Make(dir.File("resume.mp4"), seconds: 6, fps: 10, extra: "-g 10"); // six 1-second segments
        var service = new BlobServiceClient(Storage);
        string name = $"{prefix}/resume.mp4";
        var inbox = service.GetBlobContainerClient("inbox");
        await inbox.CreateIfNotExistsAsync();
        var etag = (await inbox.GetBlobClient(name).UploadAsync(clip)).Value.ETag.ToString();
        string id = Orchestration.Trigger.InboxStarter.InstanceIdFor(name, etag);
        string segment = $"{id}: activity ProcessSegment";

        string log1;
        using (var first = new Serve(args))
        {
            var deadline = DateTime.UtcNow.AddMinutes(4);
            while (Count(first.Log, segment) < 3) // two segments done, the third running
            {
                Assert.True(DateTime.UtcNow < deadline, first.Log);
                await Task.Delay(200);
            }
            log1 = first.Log;
        } // killed: a crash in the middle of the fan-out
        int before = Count(log1, segment);
        Assert.Contains($"{id}: activity Probe", log1);

        using var second = new Serve(args);
        var ledger = service.GetBlobContainerClient("work").GetBlobClient($"ledger/{id}.json");
        var until = DateTime.UtcNow.AddMinutes(6);
        while (!(await ledger.ExistsAsync()).Value)
        {
            Assert.True(DateTime.UtcNow < until, second.Log);
            await Task.Delay(500);
        }
        string log2 = second.Log;
        Assert.Contains("\"Status\": \"anonymized\"", (await ledger.DownloadContentAsync()).Value.Content.ToString());
        Assert.DoesNotContain("Started pb-", log2); // the sweep found the orchestration in storage and did not start another
        // Probe (which plans) finished before the crash; the segments read the source in place (keyframes every second: no Split).
        foreach (var done in new[] { "Probe", "Split" }) Assert.DoesNotContain($"{id}: activity {done}", log2);
        int after = Count(log2, segment);
        Assert.True(after <= 6 - (before - 1), $"{after} segments ran again after the restart, {before} had started before it");
        Assert.True(before + after >= 6);
        Assert.Contains($"{id}: activity Stitch", log2);
        Assert.True((await service.GetBlobContainerClient("outbox").GetBlobClient(name).ExistsAsync()).Value);
    }
}
