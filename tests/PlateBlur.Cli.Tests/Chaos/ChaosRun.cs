using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using PlateBlur.Core.Reports;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Events;
using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests.Chaos;

/// <summary>The load-and-fault run of issue 13: Azurite and a real `plateblur serve` process (durable backend), N files dropped at once
/// (short videos, photos, hostile files), faults injected while they run (kill -9 of serve mid-segment and restart, an ffmpeg child
/// killed mid-segment, Azurite stopped and started again, the work disk filled, the Event Grid endpoint refusing), then checks that
/// nothing was lost, published twice, deleted early, left behind or left unannounced. Every wait is a polled condition with a deadline.</summary>
public sealed class ChaosRun
{
    /// <param name="LogDir">Where the run's notes (as they happen) and each serve process's log are written; null: nowhere.</param>
    public sealed record Settings(int Files, TimeSpan Deadline, double VideoSeconds = 3, string WorkTmpfsSize = "128m", TimeSpan? AzuriteOutage = null, string? LogDir = null);

    public sealed record Fault(string Name, string Target, double At, double Lifted, double? RecoveredAfter, string Effect);

    public sealed record Result(string Table, List<string> Failures);

    private sealed record Item(string Name, string Kind, string Local, string Expect) // Expect: "good" or a hostile case
    {
        public string ETag { get; set; } = "";
        public string Id { get; set; } = "";
    }

    private const string Prefix = "chaos/";
    private readonly Settings _s;
    private readonly List<string> _failures = [];
    private readonly List<Fault> _faults = [];
    private readonly List<ServeProcess> _serves = [];
    private readonly StringBuilder _notes = new();
    private readonly Stopwatch _clock = new();
    private readonly object _gate = new();
    // What the monitor saw, polling storage once a second.
    private readonly Dictionary<string, double> _done = [];              // instance id -> seconds into the run when first seen in work/ledger/
    private readonly Dictionary<string, string> _firstETag = [];         // "container/name" -> first ETag seen
    private readonly HashSet<string> _rewritten = [];                    // outputs whose ETag changed after they were first seen
    private readonly HashSet<string> _sourceGone = [];
    private readonly List<string> _earlyDeleted = [];
    private int _monitorErrors;

    public ChaosRun(Settings settings) => _s = settings;

    private double Now => _clock.Elapsed.TotalSeconds;
    private ServeProcess Serve => _serves[^1];
    private void Note(string line)
    {
        string text = $"[{Now,6:F1} s] {line}";
        lock (_notes)
        {
            _notes.AppendLine(text);
            if (_s.LogDir != null) File.AppendAllText(Path.Combine(_s.LogDir, "chaos-notes.log"), $"{DateTime.UtcNow:HH:mm:ss} {text}\n");
        }
    }

    public async Task<Result> RunAsync()
    {
        using var root = TestEnv.TempDir();
        string media = Directory.CreateDirectory(Path.Combine(root.Path, "media")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(root.Path, "serve-work")).FullName;
        bool tmpfs = MountTmpfs(work, _s.WorkTmpfsSize, out string mountNote);
        Note(mountNote);
        using var azurite = new AzuriteProcess(Path.Combine(root.Path, "azurite"));
        using var sink = new EventSink();
        try
        {
            var items = Prepare(media);
            await azurite.StartAsync();
            var service = new BlobServiceClient(azurite.Connection);
            var blobs = new BlobStore(service);
            await blobs.EnsureContainersAsync();

            string hub = "Chaos" + Guid.NewGuid().ToString("N")[..8];
            string[] args = ["serve", "--storage", azurite.Connection, "--poll-seconds", "1", "--prefix", Prefix, "--backend", "durable", "--task-hub", hub,
                "--segment-seconds", "1", "--max-segments-in-flight", "1", "--source-policy", "delete", "--preset", "veryfast",
                "--event-grid-endpoint", sink.Endpoint, "--event-grid-key", "chaos"];
            var env = new Dictionary<string, string>
            {
                ["PLATEBLUR_WORK_DIR"] = work,
                ["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir,
            };
            if (TestEnv.Models.MirrorDir != null) env["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;

            _clock.Start();
            _serves.Add(new ServeProcess(args, env));
            // Drop every file at once.
            await Task.WhenAll(items.Select(async it =>
            {
                var r = await service.GetBlobContainerClient(Containers.Inbox).GetBlobClient(Prefix + it.Name).UploadAsync(it.Local, overwrite: true);
                it.ETag = r.Value.ETag.ToString();
                it.Id = InboxStarter.InstanceIdFor(Prefix + it.Name, it.ETag);
            }));
            Note($"{items.Count} files uploaded to inbox/{Prefix}");

            using var stop = new CancellationTokenSource();
            var monitor = Task.Run(() => MonitorAsync(blobs, items, stop.Token));
            var eventGrid = Task.Run(() => EventGridOutageAsync(sink, items, stop.Token));
            await InjectFaultsAsync(items, azurite, work, tmpfs, args, env, stop.Token);

            // Completion: every file's version has its ledger entry (written last, after publish, source policy and event).
            var deadline = DateTime.UtcNow + _s.Deadline;
            while (Pending(items).Count > 0 && DateTime.UtcNow < deadline && !Serve.Exited) await Task.Delay(500);
            double wall = Now;
            var unfinished = Pending(items);
            if (Serve.Exited) _failures.Add($"serve exited on its own (exit code {Serve.ExitCode}) at {Now:F1} s; its last output lines:\n{Serve.Tail(80)}");
            if (unfinished.Count > 0) _failures.Add($"not finished within {_s.Deadline.TotalMinutes:F0} min: {string.Join(", ", unfinished.Select(i => i.Name))}");
            // Lock blobs are released by their holder on its next renewal after the ledger entry (every 10 s): wait for that, with a deadline.
            var locksDeadline = DateTime.UtcNow.AddSeconds(45);
            while (DateTime.UtcNow < locksDeadline && await CountAsync(blobs, Containers.Work, "locks/") > 0) await Task.Delay(1000);
            // An activity message delivered a second time (its first completion was lost while storage was down) can still be running
            // after its job's ledger entry: its local folder goes when it ends. Wait for that too, with a deadline.
            var localDeadline = DateTime.UtcNow.AddSeconds(45);
            while (DateTime.UtcNow < localDeadline && Directory.EnumerateFileSystemEntries(work).Any()) await Task.Delay(500);
            await stop.CancelAsync();
            await Task.WhenAll(monitor, eventGrid);
            foreach (var f in _pending) AddFault(f());
            foreach (var s in _serves) s.Dispose();
            KillOrphans();

            return new Result(await CheckAsync(blobs, items, sink, work, wall), _failures);
        }
        finally
        {
            foreach (var s in _serves) { try { s.Dispose(); } catch (Exception) { } } // the tmpfs must be unmounted whatever happened
            try { KillOrphans(); } catch (Exception) { }
            if (tmpfs) Unmount(work);
            if (_s.LogDir != null)
                for (int i = 0; i < _serves.Count; i++)
                    File.WriteAllLines(Path.Combine(_s.LogDir, $"serve-{i}.log"), _serves[i].Lines.Select(l => $"{l.Utc:HH:mm:ss.fff} {l.Text}"));
        }
    }

    private List<Item> Pending(List<Item> items) { lock (_gate) return items.Where(i => !_done.ContainsKey(i.Id)).ToList(); }

    // ----------------------------------------------------------------------------------------------------------------------------
    // Media

    private List<Item> Prepare(string dir)
    {
        int n = _s.Files;
        int bad = Math.Max(4, n / 5), videos = (n - bad + 1) / 2, photos = n - bad - videos;
        var items = new List<Item>();
        string[] samples = ["us_freeway_dashcam_540p.mp4", "uk_rain_street.mp4", "vn_toll_cctv.mp4", "jp_street_lowres.mp4", "car-detection.mp4"];
        string inv(double d) => d.ToString(CultureInfo.InvariantCulture);
        for (int i = 0; i < videos; i++)
        {
            string src = TestEnv.Shared("samples", samples[i % samples.Length]);
            double offset = (i / samples.Length % 3) * 0.7;
            string path = Path.Combine(dir, $"v{i:00}.mp4");
            TestEnv.Ffmpeg($"-ss {inv(offset)} -i \"{src}\" -t {inv(_s.VideoSeconds)} -map 0:v:0 -map 0:a? -vf scale=-2:360,fps=15 -c:v libx264 -preset veryfast " +
                           $"-g 15 -pix_fmt yuv420p -c:a aac -b:a 64k \"{path}\"");
            items.Add(new Item($"v{i:00}.mp4", "video", path, "good"));
        }
        var photoSet = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu")).Concat(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-us"))).ToList();
        for (int i = 0; i < photos; i++)
            items.Add(new Item($"p{i:00}{Path.GetExtension(photoSet[i * 7 % photoSet.Count].Image).ToLowerInvariant()}", "photo", photoSet[i * 7 % photoSet.Count].Image, "good"));
        string[] cases = ["hls-local", "truncated-moov", "png-bomb", "text"];
        string victim = items.First(i => i.Kind == "video").Local;
        for (int i = 0; i < bad; i++)
        {
            string c = cases[i % cases.Length];
            string sub = Directory.CreateDirectory(Path.Combine(dir, $"bad{i:00}")).FullName;
            string path = c == "text" ? Path.Combine(sub, "text.mp4") : HostileMedia.Make(c, sub, victim, port: 9);
            if (c == "text") File.WriteAllText(path, "This is a text file with a video's name.\n");
            items.Add(new Item($"x{i:00}-{Path.GetFileName(path)}", "bad", path, c));
        }
        Note($"{videos} videos ({_s.VideoSeconds:F0} s, 360p, 15 fps), {photos} photos, {bad} hostile files ({string.Join(", ", cases)})");
        return items;
    }

    // ----------------------------------------------------------------------------------------------------------------------------
    // Faults

    private async Task InjectFaultsAsync(List<Item> items, AzuriteProcess azurite, string work, bool tmpfs, string[] args, Dictionary<string, string> env, CancellationToken ct)
    {
        var videos = items.Where(i => i.Kind == "video").Select(i => i.Id).ToHashSet();

        // 1. An ffmpeg child of serve killed in the middle of a segment.
        var child = await WaitForAsync(() => Signals.Children(Serve.Pid).FirstOrDefault(c => c.Command.Contains("ffmpeg") && c.Command.Contains("/ProcessSegment-")),
            c => c.Pid != 0, TimeSpan.FromMinutes(3), pollMs: 100);
        if (child.Pid == 0) AddFault(new("kill -9 ffmpeg mid-segment", "-", Now, Now, null, "NOT INJECTED: no segment's ffmpeg was running"));
        else
        {
            string victim = items.FirstOrDefault(i => child.Command.Contains($"/{i.Id}/"))?.Id ?? "?";
            string? segment = Runs().LastOrDefault(r => r.InstanceId == victim && r.Activity == "ProcessSegment")?.Detail;
            double at = Now;
            Signals.Send(child.Pid, Signals.SigKill);
            Note($"kill -9 ffmpeg (pid {child.Pid}) of {Name(items, victim)} {segment}: {Trim(child.Command)}");
            _pending.Add(() =>
            {
                int again = Runs().Count(r => r.InstanceId == victim && r.Activity == "ProcessSegment" && r.Detail == segment);
                var done = Done(victim);
                return new("kill -9 ffmpeg mid-segment", $"{Name(items, victim)} {segment}", at, at, done - at,
                    $"{segment} ran {again}× (the activity's retry policy ran it again); the file finished {done - at:F1} s after the kill");
            });
        }

        // 2. Azurite stopped and started again on the same data and ports.
        if (Pending(items).Count == 0) AddFault(new("stop Azurite, restart", "-", Now, Now, null, "NOT INJECTED: every file had finished"));
        else
        {
            double at = Now;
            await azurite.StopAsync();
            await Task.Delay(_s.AzuriteOutage ?? TimeSpan.FromSeconds(10), ct); // the outage itself
            await azurite.StartAsync();
            double lifted = Now;
            Note($"Azurite stopped at {at:F1} s, started again at {lifted:F1} s");
            _pending.Add(() => new("stop Azurite, restart", $"{lifted - at:F0} s outage", at, lifted, NextDoneAfter(lifted), "next file finished after the restart"));
        }

        // 3. The work disk fills up (serve's work folder is a small tmpfs; a filler file takes all of it for a moment, shorter than the
        //    activity retry policy's 6 s, so that the retries see it free again).
        if (!tmpfs) AddFault(new("fill the work disk", "-", Now, Now, null, "NOT INJECTED: no tmpfs could be mounted here (see notes)"));
        else if (Pending(items).Count == 0) AddFault(new("fill the work disk", "-", Now, Now, null, "NOT INJECTED: every file had finished"));
        else
        {
            // Fill it while a segment is being encoded, so that the fault meets a writer (not an idle disk).
            await WaitForAsync(() => Signals.Children(Serve.Pid).Any(c => c.Command.Contains("ffmpeg") && c.Command.Contains("/ProcessSegment-")), b => b,
                TimeSpan.FromSeconds(30), pollMs: 50);
            double at = Now;
            string filler = Path.Combine(work, "filler");
            int logBefore = Serve.Lines.Count;
            long written = Fill(filler);
            var sawFull = await WaitForAsync(() => Serve.Lines.Skip(logBefore).Any(l => l.Text.Contains("No space left", StringComparison.OrdinalIgnoreCase)), b => b,
                TimeSpan.FromSeconds(4));
            File.Delete(filler);
            double lifted = Now;
            Note($"work disk filled ({written / 1048576.0:F0} MiB filler) for {lifted - at:F1} s; serve logged 'No space left': {sawFull}");
            _pending.Add(() => new("fill the work disk", $"tmpfs {_s.WorkTmpfsSize}", at, lifted, NextDoneAfter(lifted),
                $"{(sawFull ? "activities hit ENOSPC and were retried" : "no activity wrote while it was full")}; next file finished after"));
        }

        // 4. kill -9 of serve in the middle of a segment: a video still running whose segment k >= 1 has started (so segment 0 is finished,
        //    with one segment in flight: --max-segments-in-flight 1), then a restart.
        var runs = await WaitForAsync(() => Runs().Where(r => r.Activity == "ProcessSegment" && r.Detail != "segment 0" && r.ServeGeneration == _serves.Count - 1
                                                             && videos.Contains(r.InstanceId) && Done(r.InstanceId) == null
                                                             && !Runs().Any(q => q.InstanceId == r.InstanceId && q.Activity == "Stitch")).ToList(),
            r => r.Count > 0 || Serve.Exited, TimeSpan.FromMinutes(4));
        if (runs.Count == 0) AddFault(new("kill -9 serve mid-segment, restart", "-", Now, Now, null, "NOT INJECTED: no video was between its segments"));
        else
        {
            string victim = runs[^1].InstanceId;
            double at = Now;
            int orphans = Signals.Children(Serve.Pid).Count(c => c.Command.Contains("ffmpeg"));
            await Serve.Kill9Async();
            Note($"kill -9 serve (pid {Serve.Pid}) while {Name(items, victim)} ran {runs[^1].Detail}; {orphans} ffmpeg children orphaned");
            _serves.Add(new ServeProcess(args, env));
            double lifted = Now;
            _killVictim = victim;
            _pending.Add(() => new("kill -9 serve mid-segment, restart", $"{Name(items, victim)} {runs[^1].Detail}", at, lifted, Done(victim) - lifted,
                $"{orphans} ffmpeg orphaned (they exit on the broken pipe); the interrupted file finished {Done(victim) - lifted:F1} s after the restart " +
                $"(its running activity is delivered again after the queue's visibility timeout, 60 s)"));
        }
    }

    /// <summary>Faults whose recovery is known only once the run has finished.</summary>
    private readonly List<Func<Fault>> _pending = [];

    private double? NextDoneAfter(double t) { lock (_gate) return _done.Values.Where(d => d >= t).DefaultIfEmpty(double.NaN).Min() is var d && !double.IsNaN(d) ? d - t : null; }

    private string? _killVictim;
    private double _gridDown, _gridUp;

    /// <summary>The Event Grid endpoint refuses everything from the start until it has refused for 12 s (below the 30 s the publisher keeps trying).</summary>
    private async Task EventGridOutageAsync(EventSink sink, List<Item> items, CancellationToken ct)
    {
        sink.Down = true;
        _gridDown = Now;
        try
        {
            while (sink.Refused == 0 && !ct.IsCancellationRequested) await Task.Delay(100, ct);
            double first = Now;
            await Task.Delay(TimeSpan.FromSeconds(12), ct); // the outage itself
            int refused = sink.Refused;
            int received = sink.Events.Count;
            sink.Down = false;
            _gridUp = Now;
            Note($"Event Grid endpoint refused {refused} requests from {first:F1} s to {_gridUp:F1} s");
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (sink.Events.Count == received && DateTime.UtcNow < deadline) await Task.Delay(100, ct);
            double? recovered = sink.Events.Count > received ? Now - _gridUp : null;
            AddFault(new("Event Grid endpoint down (503)", $"{refused} requests refused", first, _gridUp, recovered, "next event delivered after"));
        }
        catch (OperationCanceledException) { sink.Down = false; }
    }

    private static long Fill(string path)
    {
        long written = 0;
        var block = new byte[1 << 20];
        try
        {
            using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            while (true) { f.Write(block); written += block.Length; f.Flush(); }
        }
        catch (IOException) { } // ENOSPC: full
        return written;
    }

    // ----------------------------------------------------------------------------------------------------------------------------
    // Watching storage

    private async Task MonitorAsync(BlobStore blobs, List<Item> items, CancellationToken ct)
    {
        var present = new HashSet<string>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var ledger = new List<string>();
                await foreach (var b in blobs.ListAsync(Containers.Work, "ledger/", ct)) ledger.Add(b.Name["ledger/".Length..^".json".Length]);
                lock (_gate) foreach (var id in ledger) _done.TryAdd(id, Now);
                // inbox/ before outbox/: a source is deleted only after its output was published, so a source missing from this listing
                // must have its output in the next one.
                var inbox = new HashSet<string>();
                await foreach (var b in blobs.ListAsync(Containers.Inbox, Prefix, ct)) inbox.Add(b.Name);
                var outputs = new Dictionary<string, string>();
                foreach (var c in new[] { Containers.Outbox, Containers.Quarantine })
                    await foreach (var b in blobs.ListAsync(c, Prefix, ct)) outputs[$"{c}/{b.Name}"] = b.Properties.ETag.ToString()!;
                lock (_gate)
                {
                    foreach (var (k, etag) in outputs)
                        if (!_firstETag.TryAdd(k, etag) && _firstETag[k] != etag) _rewritten.Add(k);
                    foreach (var it in items)
                    {
                        string name = Prefix + it.Name;
                        if (inbox.Contains(name)) { present.Add(name); continue; }
                        if (!present.Contains(name) || !_sourceGone.Add(name)) continue;
                        if (!outputs.ContainsKey($"{Containers.Outbox}/{name}") || !outputs.ContainsKey($"{Containers.Outbox}/{name}.report.json"))
                            _earlyDeleted.Add($"{it.Name}: source gone from inbox/ at {Now:F1} s with no output and report in outbox/");
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // stopped while a listing was in flight (the run is over): not a failure (CI flake, stop 23)
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref _monitorErrors); // storage down (the Azurite fault): look again in a second
            }
            try { await Task.Delay(1000, ct); } catch (OperationCanceledException) { }
        }
    }

    private int DoneCount() { lock (_gate) return _done.Count; }
    private double LastDone() { lock (_gate) return _done.Count == 0 ? 0 : _done.Values.Max(); }
    private double? Done(string id) { lock (_gate) return _done.TryGetValue(id, out var t) ? t : null; }
    private void AddFault(Fault f) { lock (_faults) _faults.Add(f); }

    private List<ActivityLog.Run> Runs() => _serves.SelectMany((s, i) => ActivityLog.Parse(s.Lines, i)).ToList();

    private static async Task<int> CountAsync(BlobStore blobs, string container, string prefix)
    {
        try
        {
            int n = 0;
            await foreach (var _ in blobs.ListAsync(container, prefix)) n++;
            return n;
        }
        catch (Azure.RequestFailedException) { return -1; }
    }

    private static async Task<T> WaitForAsync<T>(Func<T> probe, Func<T, bool> ok, TimeSpan within, int pollMs = 250)
    {
        var deadline = DateTime.UtcNow + within;
        var v = probe();
        while (!ok(v) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(pollMs);
            v = probe();
        }
        return v;
    }

    private static string Name(List<Item> items, string id) => items.FirstOrDefault(i => i.Id == id)?.Name ?? id;
    private static string Trim(string s) => s.Length > 160 ? s[..160] + "…" : s;

    private void KillOrphans()
    {
        // ffmpeg processes whose serve parent was killed -9 were re-parented: find them by the work folder in their command line.
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains("ffmpeg", StringComparison.Ordinal) && _workMarker != null && cmd.Contains(_workMarker)) Signals.Send(pid, Signals.SigKill);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private string? _workMarker;

    // ----------------------------------------------------------------------------------------------------------------------------
    // tmpfs for the work folder

    private bool MountTmpfs(string dir, string size, out string note)
    {
        _workMarker = dir;
        if (!OperatingSystem.IsLinux()) { note = "work disk: not Linux, no tmpfs"; return false; }
        var r = RunTool("mount", $"-t tmpfs -o size={size},mode=0700 plateblur-chaos \"{dir}\"");
        note = r.Code == 0 ? $"work disk: tmpfs of {size} mounted on serve's PLATEBLUR_WORK_DIR" : $"work disk: cannot mount a tmpfs here ({r.Output.Trim()}): the disk-full fault is left out";
        return r.Code == 0;
    }

    private static void Unmount(string dir) => RunTool("umount", $"\"{dir}\"");

    private static (int Code, string Output) RunTool(string tool, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
            string output = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }

    // ----------------------------------------------------------------------------------------------------------------------------
    // Checks and the table

    private async Task<string> CheckAsync(BlobStore blobs, List<Item> items, EventSink sink, string work, double wall)
    {
        var ledger = new JobLedger(blobs);
        var all = new Dictionary<string, HashSet<string>>();
        foreach (var c in new[] { Containers.Inbox, Containers.Outbox, Containers.Quarantine, Containers.Archive, Containers.Work, Containers.EventsFailed })
        {
            all[c] = [];
            await foreach (var b in blobs.ListAsync(c)) all[c].Add(b.Name);
        }
        var received = sink.Events.ToList();
        var expectedEvents = new HashSet<string>();
        var explained = new Dictionary<string, HashSet<string>>(); // container -> blobs accounted for
        foreach (var c in all.Keys) explained[c] = [];
        int published = 0, qcQuarantined = 0, rejected = 0, lost = 0, twice = 0;
        var rows = new List<string>();

        foreach (var it in items)
        {
            string name = Prefix + it.Name;
            var entry = await ledger.GetAsync(it.Id);
            string status = entry?.Status ?? "(no ledger entry)";
            bool inOut = all[Containers.Outbox].Contains(name), inQ = all[Containers.Quarantine].Contains(name), inInbox = all[Containers.Inbox].Contains(name);
            explained[Containers.Work].Add(WorkNames.Ledger(it.Id));
            string? type = status switch
            {
                "anonymized" => EventTypes.MediaAnonymized, "qc-failed" => EventTypes.QcFailed, "rejected" or "failed" => EventTypes.AnonymizationFailed, _ => null,
            };
            if (type != null) expectedEvents.Add(EventPublisher.EventId(it.Id, type));
            if (_rewritten.Any(k => k.EndsWith("/" + name) || k.Contains("/" + name + "."))) { twice++; _failures.Add($"{it.Name}: an output was written twice ({string.Join(", ", _rewritten.Where(k => k.Contains(name)))})"); }
            if (it.Expect == "good")
            {
                if (status == "anonymized")
                {
                    foreach (var suffix in new[] { "", ".report.json", ".qc.png" })
                    {
                        if (!all[Containers.Outbox].Contains(name + suffix)) _failures.Add($"{it.Name}: anonymized but outbox/{name}{suffix} is missing");
                        explained[Containers.Outbox].Add(name + suffix);
                    }
                    var report = JsonSerializer.Deserialize<AnonymizationReport>(await blobs.ReadTextAsync(Containers.Outbox, name + ".report.json"), AnonymizationReport.Json)!;
                    if (report.Qc is not { Passed: true }) _failures.Add($"{it.Name}: published to outbox/ but its report's QC verdict is not 'passed'");
                    if (inInbox) _failures.Add($"{it.Name}: anonymized under --source-policy delete, but the source is still in inbox/");
                    if (inQ) { twice++; _failures.Add($"{it.Name}: in outbox/ and quarantine/"); }
                    published++;
                }
                else if (status == "qc-failed")
                {
                    foreach (var suffix in new[] { "", ".report.json", ".qc.png" })
                    {
                        if (!all[Containers.Quarantine].Contains(name + suffix)) _failures.Add($"{it.Name}: QC failed but quarantine/{name}{suffix} is missing");
                        explained[Containers.Quarantine].Add(name + suffix);
                    }
                    if (!inInbox) _failures.Add($"{it.Name}: QC failed, yet the source was removed from inbox/");
                    if (inOut) { twice++; _failures.Add($"{it.Name}: QC failed but it is in outbox/"); }
                    qcQuarantined++;
                }
                else { lost++; _failures.Add($"{it.Name}: a good file ended '{status}' ({entry?.Reason}); outbox: {inOut}, source in inbox: {inInbox}"); }
                if (!inInbox && !(status == "anonymized" && inOut)) _failures.Add($"{it.Name}: the source is gone without a verified, QC-passed output");
            }
            else
            {
                if (status != "rejected") { lost++; _failures.Add($"{it.Name} ({it.Expect}): ended '{status}', expected 'rejected'"); }
                string reasonBlob = name + ".reason.json";
                if (!all[Containers.Quarantine].Contains(reasonBlob)) _failures.Add($"{it.Name}: no quarantine/{reasonBlob}");
                else
                {
                    using var doc = JsonDocument.Parse(await blobs.ReadTextAsync(Containers.Quarantine, reasonBlob));
                    if (doc.RootElement.GetProperty("reason").GetString() is not { Length: > 0 }) _failures.Add($"{it.Name}: empty reason");
                }
                explained[Containers.Quarantine].Add(reasonBlob);
                explained[Containers.Quarantine].Add(name);
                if (inOut) { twice++; _failures.Add($"{it.Name}: a hostile file reached outbox/"); }
                if (!inInbox) _failures.Add($"{it.Name}: a rejected source was removed from inbox/");
                if (status == "rejected") rejected++;
            }
            if (inInbox) explained[Containers.Inbox].Add(name);
            rows.Add($"| {it.Name} | {it.Expect} | {status} | {SegmentFigure(it.Id)} |");
        }
        _failures.AddRange(_earlyDeleted);

        // Orphans: every blob must be accounted for; no local work folder may be left.
        var orphans = new List<string>();
        foreach (var (c, names) in all)
            foreach (var b in names)
                if (!explained[c].Contains(b) && c != Containers.EventsFailed) orphans.Add($"{c}/{b}");
        var localLeft = Directory.EnumerateFileSystemEntries(work).Select(Path.GetFileName).ToList();
        orphans.AddRange(localLeft.Select(l => $"local work folder {l}"));
        foreach (var o in orphans) _failures.Add($"orphan: {o}");

        // Events: each file's final event delivered (or recorded in events-failed/), duplicates told apart by id.
        var ids = received.GroupBy(EventSink.Id).ToDictionary(g => g.Key, g => g.Count());
        var failedIds = all[Containers.EventsFailed].Select(n => n[..^".json".Length]).ToHashSet();
        var missing = expectedEvents.Where(e => !ids.ContainsKey(e) && !failedIds.Contains(e)).ToList();
        foreach (var m in missing) _failures.Add($"event {m} neither delivered nor in events-failed/");
        foreach (var e in ids.Keys.Where(e => !expectedEvents.Contains(e))) _failures.Add($"unexpected event {e}");
        int duplicates = ids.Values.Sum(c => c - 1);

        // Retries: activity executions beyond one per (instance, activity, segment), across every serve process.
        var runs = Runs();
        int retries = runs.GroupBy(r => (r.InstanceId, r.Activity, r.Detail)).Sum(g => g.Count() - 1);
        var activityFailures = _serves.SelectMany(s => ActivityLog.Failures(s.Lines)).ToList();

        var sb = new StringBuilder();
        sb.AppendLine($"Chaos run: {items.Count} files, {_serves.Count} serve processes, durable backend; wall time {wall:F0} s (until every file had its ledger entry)");
        sb.AppendLine();
        sb.AppendLine("| files | published (outbox) | quarantined: QC failed | quarantined: rejected | lost | published twice | sources deleted early | orphans | events delivered (+ in events-failed/) | duplicate events (same id) | activity re-runs (failed runs) | Event Grid requests refused | wall time |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        sb.AppendLine($"| {items.Count} | {published} | {qcQuarantined} | {rejected} | {lost} | {twice} | {_earlyDeleted.Count} | {orphans.Count} | {expectedEvents.Count(ids.ContainsKey)}/{expectedEvents.Count} (+{expectedEvents.Count(failedIds.Contains)}) | {duplicates} | {retries} ({activityFailures.Count}) | {sink.Refused} | {wall:F0} s |");
        sb.AppendLine();
        sb.AppendLine("| fault | target | injected at | lifted at | recovered after | effect |");
        sb.AppendLine("|---|---|---|---|---|---|");
        lock (_faults)
            foreach (var f in _faults.OrderBy(f => f.At))
                sb.AppendLine($"| {f.Name} | {f.Target} | {f.At:F1} s | {f.Lifted:F1} s | {(f.RecoveredAfter is { } r ? $"{r:F1} s" : "-")} | {f.Effect} |");
        sb.AppendLine();
        if (_killVictim != null)
        {
            sb.AppendLine($"Segment runs of the file interrupted by kill -9 ({Name(items, _killVictim)}), per serve process (0 = killed, 1 = restarted):");
            sb.AppendLine();
            sb.AppendLine("| activity | serve 0 | serve 1 |");
            sb.AppendLine("|---|---|---|");
            foreach (var g in runs.Where(r => r.InstanceId == _killVictim).GroupBy(r => r.Activity + (r.Detail == null ? "" : $" ({r.Detail})")).OrderBy(g => g.Min(r => r.Utc)))
                sb.AppendLine($"| {g.Key} | {g.Count(r => r.ServeGeneration == 0)} | {g.Count(r => r.ServeGeneration >= 1)} |");
            sb.AppendLine();
        }
        sb.AppendLine("Per file: ProcessSegment runs per segment (s0×1 = segment 0 ran once):");
        sb.AppendLine();
        sb.AppendLine("| file | expected | ledger status | segment runs |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in rows) sb.AppendLine(r);
        sb.AppendLine();
        sb.AppendLine("Activity failures logged by serve (each was retried by the orchestration's retry policy or, after a crash, delivered again):");
        sb.AppendLine();
        foreach (var g in activityFailures.GroupBy(f => $"{f.Activity}: {Cause(f.Message)}").OrderByDescending(g => g.Count()))
            sb.AppendLine($"- {g.Count()} × {g.Key}");
        sb.AppendLine();
        sb.AppendLine($"Storage listing failures seen by the monitor (Azurite down): {_monitorErrors}");
        sb.AppendLine();
        sb.AppendLine("Notes:");
        sb.Append(_notes);
        if (_failures.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("FAILURES:");
            foreach (var f in _failures) sb.AppendLine("- " + f);
        }
        return sb.ToString();
    }

    /// <summary>A failure message without its file names and numbers, so that like causes group together.</summary>
    private static string Cause(string message)
    {
        string m = System.Text.RegularExpressions.Regex.Replace(message, @"(/[^\s:'""]+)+", "<path>");
        m = System.Text.RegularExpressions.Regex.Replace(m, @"\b\d+\b", "N");
        return m.Length > 140 ? m[..140] + "…" : m;
    }

    private string SegmentFigure(string id)
    {
        var segs = Runs().Where(r => r.InstanceId == id && r.Activity == "ProcessSegment").GroupBy(r => r.Detail ?? "?").OrderBy(g => g.Key)
            .Select(g => $"{g.Key.Replace("segment ", "s")}×{g.Count()}").ToList();
        return segs.Count == 0 ? "-" : string.Join(" ", segs);
    }
}
