using System.Globalization;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace PlateBlur.Core.Media;

/// <summary>Every video frame's presentation time and the keyframes, read from packets without decoding.</summary>
public sealed record FrameTimeline(IReadOnlyList<long> PtsNs, IReadOnlyList<long> KeyframePtsNs, long TimeBaseNum, long TimeBaseDen)
{
    public int FrameCount => PtsNs.Count;

    /// <summary>Nominal duration of the last frame (median of recent frame steps) so a duration can be computed for the whole stream.</summary>
    public long LastFrameDurationNs
    {
        get
        {
            if (PtsNs.Count < 2) return 0;
            var steps = new List<long>();
            for (int i = Math.Max(1, PtsNs.Count - 9); i < PtsNs.Count; i++) steps.Add(PtsNs[i] - PtsNs[i - 1]);
            steps.Sort();
            return steps[steps.Count / 2];
        }
    }

    public long DurationNs => PtsNs.Count == 0 ? 0 : PtsNs[^1] - PtsNs[0] + LastFrameDurationNs;

    /// <summary>True when frame steps vary by more than 2 % around their median (the timestamps must then be kept frame by frame).</summary>
    public bool IsVariableFrameRate
    {
        get
        {
            if (PtsNs.Count < 3) return false;
            var steps = new long[PtsNs.Count - 1];
            for (int i = 1; i < PtsNs.Count; i++) steps[i - 1] = PtsNs[i] - PtsNs[i - 1];
            var sorted = steps.Order().ToArray();
            double median = sorted[sorted.Length / 2];
            return steps.Any(s => Math.Abs(s - median) > 0.02 * median + 1000);
        }
    }

    /// <summary>Index of the frame whose time is nearest to <paramref name="ptsNs"/>.</summary>
    public int NearestIndex(long ptsNs)
    {
        var list = PtsNs;
        int lo = 0, hi = list.Count - 1;
        if (hi < 0) return -1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (list[mid] < ptsNs) lo = mid + 1; else hi = mid;
        }
        if (lo > 0 && Math.Abs(list[lo - 1] - ptsNs) <= Math.Abs(list[lo] - ptsNs)) lo--;
        return lo;
    }

    /// <param name="syncSamples">For an MP4/MOV stand-in whose media data is a hole (<see cref="IsoIndex"/>): the track's sync samples and sample
    /// count, which say the keyframes instead of the packets' flags (the parser sets those from the data); the packet count must match.</param>
    public static async Task<FrameTimeline> ScanAsync(string path, VideoStreamInfo video, CancellationToken ct = default, (HashSet<long> Sync, long Samples)? syncSamples = null)
    {
        FFProbePackets packets;
        try
        {
            packets = await FFProbe.GetPacketsAsync(path, null, $"{MediaGuard.InputArguments(path)} -select_streams {video.Index}", ct);
        }
        catch (Exception e) when (e is FFProbeException or FFProbeProcessException or System.Text.Json.JsonException)
        {
            throw new MediaException(MediaError.Corrupt, $"{Path.GetFileName(path)}: cannot read the video packets ({e.Message}).", e);
        }
        var (num, den) = ParseTimeBase(video.TimeBase);
        var pts = new List<long>(packets.Packets.Count);
        var keys = new List<long>();
        if (syncSamples is { } table && table.Samples != packets.Packets.Count)
            throw new InvalidDataException($"{Path.GetFileName(path)}: {packets.Packets.Count} packets but {table.Samples} samples in the sample table.");
        long sample = 0;
        foreach (var p in packets.Packets)
        {
            sample++;
            if (p.Flags != null && p.Flags.Contains('D')) continue; // discarded by an edit list: never decoded
            bool hasPts = !string.IsNullOrEmpty(p.PtsTime) && p.PtsTime != "N/A";
            long t = ToNs(hasPts ? p.Pts : p.Dts, num, den);
            pts.Add(t);
            if (syncSamples is { } sync ? sync.Sync.Contains(sample) : p.Flags != null && p.Flags.StartsWith('K')) keys.Add(t);
        }
        pts.Sort();
        keys.Sort();
        var timeline = new FrameTimeline(pts, keys, num, den);
        // The container's index promises more than the file holds: the file was cut short.
        if (video.DeclaredFrames > 0 && pts.Count < video.DeclaredFrames - (video.DeclaredFramesExact ? 0 : 2))
            throw new MediaException(MediaError.Truncated,
                $"{Path.GetFileName(path)} is truncated: its index lists {video.DeclaredFrames} frames but only {pts.Count} are in the file.");
        double missing = video.DeclaredDuration - timeline.DurationNs / 1e9;
        if (video.DeclaredFrames == 0 && video.DeclaredDuration > 0 && missing > Math.Max(1.0, 0.05 * video.DeclaredDuration))
            throw new MediaException(MediaError.Truncated,
                $"{Path.GetFileName(path)} is truncated: it declares {video.DeclaredDuration:0.##} s of video but holds {timeline.DurationNs / 1e9:0.##} s.");
        return timeline;
    }

    public static long ToNs(long ticks, long num, long den) => (long)Math.Round((decimal)ticks * num * 1_000_000_000m / den);

    public static (long num, long den) ParseTimeBase(string tb)
    {
        var parts = tb.Split('/');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) && n > 0 && d > 0)
            return (n, d);
        return (1, 1000);
    }
}
