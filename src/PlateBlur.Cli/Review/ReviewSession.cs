using System.Globalization;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Models;
using PlateBlur.Core.Qc;
using PlateBlur.Core.Reports;

namespace PlateBlur.Cli.Review;

/// <summary>What the review page works on: one output, its report, optionally its source, and the edits file beside the output.
/// Only these paths are ever served or written (the edits file and, on re-render, the output and its report).</summary>
public sealed class ReviewSession : IDisposable
{
    private readonly SemaphoreSlim _renderGate = new(1, 1);
    private Anonymizer? _anonymizer;

    private ReviewSession(string output, string report, string? source, string? renderSource)
    {
        OutputPath = output; ReportPath = report; SourcePath = source; RenderSourcePath = renderSource;
        EditsPath = output + ".edits.json";
        QcSheetPath = output + ".qc.png";
    }

    public string OutputPath { get; }
    public string ReportPath { get; }
    /// <summary>The original, shown only when given with --source (it holds personal data).</summary>
    public string? SourcePath { get; }
    /// <summary>The input a re-render reads: --source, else the report's input path when that file exists.</summary>
    public string? RenderSourcePath { get; }
    public string EditsPath { get; }
    public string QcSheetPath { get; }
    public AnonymizationReport Report { get; private set; } = null!;
    public IReadOnlyList<double> FrameTimes { get; private set; } = [];
    public int Version { get; private set; }
    public RenderStatus Status { get; private set; } = new("idle", 0, 0, null, 0);

    /// <summary>Opens OUTPUT (its report is OUTPUT.report.json) or a report (its output is the report's name less .report.json).</summary>
    public static async Task<ReviewSession> OpenAsync(string outputOrReport, string? source, CancellationToken ct = default)
    {
        string given = Path.GetFullPath(outputOrReport);
        string output, report;
        if (given.EndsWith(".report.json", StringComparison.OrdinalIgnoreCase)) { report = given; output = given[..^".report.json".Length]; }
        else { output = given; report = given + ".report.json"; }
        if (!File.Exists(report)) throw new FileNotFoundException($"no report at {report} (review takes an anonymized output with its report, or the report)");
        if (!File.Exists(output)) throw new FileNotFoundException($"no output at {output} (the report's file)");
        string? src = source == null ? null : Path.GetFullPath(source);
        if (src != null && !File.Exists(src)) throw new FileNotFoundException($"--source {source} does not exist");
        if (src != null && Path.GetFullPath(src) == output) throw new ArgumentException("--source is the anonymized output itself");
        var r = AnonymizationReport.Read(report);
        string? renderSrc = src ?? (File.Exists(r.Input.Path) && Path.GetFullPath(r.Input.Path) != output ? Path.GetFullPath(r.Input.Path) : null);
        var session = new ReviewSession(output, report, src, renderSrc);
        await session.LoadAsync(ct);
        return session;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Report = AnonymizationReport.Read(ReportPath);
        if (Report.Kind == "video")
        {
            var info = await MediaProbe.ProbeAsync(OutputPath, ct, workFile: true);
            var timeline = await FrameTimeline.ScanAsync(OutputPath, info.RequireVideo(), ct);
            long t0 = timeline.PtsNs[0];
            FrameTimes = timeline.PtsNs.Select(p => Math.Round((p - t0) / 1e9, 6)).ToList();
        }
        else FrameTimes = [0];
        Version++;
    }

    /// <summary>The anonymizer a re-render and QC use, with the options the report was made with (so track ids stay the same).</summary>
    private async Task<Anonymizer> AnonymizerAsync(CancellationToken ct) =>
        _anonymizer ??= await Anonymizer.CreateAsync(Report.Options, ModelStore.FromEnvironment(), null, ct);

    /// <summary>Runs QC on the output when its report has none (a local run): sampled frames re-detected, contact sheet beside the output.
    /// A re-render waits for it (one job at a time: they share the model).</summary>
    public async Task EnsureQcAsync(CancellationToken ct = default)
    {
        await _renderGate.WaitAsync(ct);
        try
        {
            Status = Status with { State = "checking" };
            await EnsureQcCoreAsync(ct);
        }
        finally
        {
            Status = Status with { State = Status.State == "checking" ? "idle" : Status.State };
            _renderGate.Release();
        }
    }

    private async Task EnsureQcCoreAsync(CancellationToken ct)
    {
        if (Report.Qc != null && File.Exists(QcSheetPath)) return;
        var anonymizer = await AnonymizerAsync(ct);
        var scanner = QcSampler.Scanner(anonymizer.Scanner, Report.Options);
        using var partial = new PartialFile(QcSheetPath, "qc");
        var qc = Report.Kind == "photo"
            ? QcSampler.CheckPhoto(OutputPath, Report, scanner, partial.TempPath)
            : await QcSampler.CheckVideoAsync(OutputPath, Report, scanner, Report.Options.QcSamples, Path.GetFileName(OutputPath), partial.TempPath, ct);
        partial.Commit(overwrite: true);
        Report = Report with { Qc = qc with { ContactSheet = Path.GetFileName(QcSheetPath) } };
    }

    /// <summary>The edits file beside the output, or an empty one.</summary>
    public EditsDocument LoadEdits() => File.Exists(EditsPath) ? EditsDocument.Load(EditsPath).Doc : new EditsDocument { SchemaName = EditsDocument.Schema, Source = Path.GetFileName(RenderSourcePath ?? Report.Input.Path) };

    /// <summary>Validates edits against the output's frames and writes them beside the output; refused edits are not written.</summary>
    public EditsDocument SaveEdits(byte[] json)
    {
        var doc = EditsDocument.Parse(json, Path.GetFileName(EditsPath));
        var o = Report.Output ?? Report.Input;
        doc.Validate(o.Width, o.Height, FrameTimes.Select(t => (long)Math.Round(t * 1e9) + FirstPtsNs).ToList(), Path.GetFileName(EditsPath));
        using var partial = new PartialFile(EditsPath, "edits");
        File.WriteAllText(partial.TempPath, doc.ToJson());
        partial.Commit(overwrite: true);
        return doc;
    }

    /// <summary>The report's time of frame 0 (its frames' times are presentation times).</summary>
    private long FirstPtsNs => Report.Frames.Count > 0 && FrameTimes.Count > Report.Frames[0].Index
        ? (long)Math.Round((Report.Frames[0].Time - FrameTimes[(int)Report.Frames[0].Index]) * 1e9) : 0;

    /// <summary>Starts a re-render of the source with the saved edits (the same anonymize code, the report's options) in the background;
    /// false when one is running or there is no source to render from.</summary>
    public bool StartRender(CancellationToken ct)
    {
        if (RenderSourcePath == null) { Status = new("failed", 0, 0, "no source to render from: start review with --source INPUT", Version); return false; }
        if (!_renderGate.Wait(0)) return false;
        Status = new("running", 0, Report.Counts.Frames, null, Version);
        _ = Task.Run(async () =>
        {
            try
            {
                var edits = File.Exists(EditsPath) ? EditsSource.Load(EditsPath) : null;
                var anonymizer = await AnonymizerAsync(ct);
                var progress = new Progress(this);
                await anonymizer.AnonymizeFileAsync(RenderSourcePath, OutputPath, overwrite: true, ReportPath, progress, ct, edits);
                await LoadAsync(ct);
                Status = Status with { State = "checking", Version = Version };
                await EnsureQcCoreAsync(ct);
                Status = new("done", Status.Total, Status.Total, null, Version);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Status = new("failed", Status.Done, Status.Total, e.Message, Version);
            }
            finally { _renderGate.Release(); }
        }, CancellationToken.None);
        return true;
    }

    private sealed class Progress(ReviewSession s) : IProgress<AnonymizeProgress>
    {
        public void Report(AnonymizeProgress p) => s.Status = s.Status with { Done = p.FramesDone, Total = p.FramesTotal };
    }

    /// <summary>Every track of the report: its frames, masks, best detector score and class.</summary>
    public IReadOnlyList<TrackInfo> Tracks()
    {
        var byTrack = new SortedDictionary<int, List<(long Frame, MaskRecord Box)>>();
        foreach (var f in Report.Frames)
            foreach (var b in f.Boxes)
            {
                if (b.Track == 0) continue;
                if (!byTrack.TryGetValue(b.Track, out var l)) byTrack[b.Track] = l = [];
                l.Add((f.Index, b));
            }
        return byTrack.Select(kv => new TrackInfo(kv.Key, kv.Value[0].Box.Class ?? "plate", kv.Value[0].Box.Region,
            kv.Value.Min(x => x.Frame), kv.Value.Max(x => x.Frame), kv.Value.Count, kv.Value.Count(x => x.Box.Kind == "Detected"),
            kv.Value.Max(x => x.Box.Score ?? 0))).ToList();
    }

    /// <summary>What a reviewer should look at first: tracks too short to be sure of, tracks whose best score is weak, frames where QC
    /// found a plate outside the masks. (Reports hold no vehicle information yet, so vehicles without a plate are not listed.)</summary>
    public IReadOnlyList<CheckItem> CheckFirst()
    {
        var items = new List<CheckItem>();
        double fps = Fps;
        float threshold = Report.Options.EffectiveThreshold;
        foreach (var q in Report.Qc?.Results.Where(r => r.Residual.Count > 0) ?? [])
            items.Add(new CheckItem("qc", q.Frame, null, $"frame {q.Frame}: QC found {q.Residual.Count} possible plate(s) outside the masks"));
        foreach (var t in Tracks().Where(t => t.Id > 0))
        {
            double seconds = (t.LastFrame - t.FirstFrame + 1) / fps;
            if (Report.Kind == "video" && seconds < 0.5)
                items.Add(new CheckItem("short", t.FirstFrame, t.Id, $"track {t.Id}: only {t.LastFrame - t.FirstFrame + 1} frames ({seconds:0.00} s) — a plate seen briefly, or a false alarm"));
            if (t.BestScore > 0 && t.BestScore < 2 * threshold)
                items.Add(new CheckItem("weak", t.FirstFrame, t.Id, string.Create(CultureInfo.InvariantCulture, $"track {t.Id}: best score {t.BestScore:0.00} (threshold {threshold:0.00}) — is it a plate?")));
        }
        return items.OrderBy(i => i.Kind switch { "qc" => 0, "weak" => 1, _ => 2 }).ThenBy(i => i.Frame).ToList();
    }

    /// <summary>Frames per second from the output's frame times (the report's rate when there is one frame).</summary>
    public double Fps => FrameTimes.Count > 1 ? (FrameTimes.Count - 1) / Math.Max(1e-6, FrameTimes[^1] - FrameTimes[0]) : 1;

    public void Dispose()
    {
        _anonymizer?.Dispose();
        _renderGate.Dispose();
    }
}

public sealed record RenderStatus(string State, long Done, long Total, string? Error, int Version);

public sealed record TrackInfo(int Id, string Class, string? Region, long FirstFrame, long LastFrame, int Masks, int Detected, float BestScore);

public sealed record CheckItem(string Kind, long Frame, int? Track, string Text);
