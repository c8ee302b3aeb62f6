namespace PlateBlur.Core.Media;

/// <summary>One planned segment: global frame range [FirstFrame, EndFrame) and its start and end times.</summary>
public sealed record SegmentSpec(int Index, int FirstFrame, int EndFrame, long StartNs, long EndNs);

/// <summary>How a video is cut: at existing keyframes, or at new keyframes forced by re-encoding the split when the source's are too sparse.</summary>
public sealed record SegmentPlan(IReadOnlyList<SegmentSpec> Segments, bool ForceKeyframes, double MaxGopSeconds, double TargetSeconds);

/// <summary>Plans segments of about a target length, cut at keyframes so the split is a stream copy.</summary>
public static class SegmentPlanner
{
    /// <remarks>Each cut goes to the keyframe nearest to one target length after the previous cut. When a gap between keyframes
    /// is longer than twice the target, stream copy cannot cut near the target, so cuts go to the frames nearest to each multiple
    /// of the target and the split re-encodes with keyframes forced there.</remarks>
    public static SegmentPlan Plan(FrameTimeline t, double targetSeconds)
    {
        if (targetSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(targetSeconds), "segment length must be positive");
        int n = t.FrameCount;
        if (n == 0) return new SegmentPlan([], false, 0, targetSeconds);
        long start = t.PtsNs[0], end = start + t.DurationNs, target = (long)(targetSeconds * 1e9);
        var keys = t.KeyframePtsNs.Select(t.NearestIndex).Where(i => i >= 0).Distinct().Order().ToList();
        if (keys.Count == 0 || keys[0] != 0) keys.Insert(0, 0);
        double maxGop = keys.Zip(keys.Skip(1).Append(n), (a, b) => (Time(t, b, end) - t.PtsNs[a]) / 1e9).Max();
        bool force = maxGop > 2 * targetSeconds;
        var candidates = force ? Enumerable.Range(0, n).ToList() : keys;

        var cuts = new List<int> { 0 };
        while (true)
        {
            long want = t.PtsNs[cuts[^1]] + target;
            if (end - want < target / 2) break; // the rest is short: it joins the last segment
            int best = -1; long bestDist = long.MaxValue;
            foreach (var c in candidates)
            {
                if (c <= cuts[^1]) continue;
                long dist = Math.Abs(t.PtsNs[c] - want);
                if (dist < bestDist) { best = c; bestDist = dist; }
                else if (t.PtsNs[c] > want) break;
            }
            if (best < 0 || end - t.PtsNs[best] < target / 4) break;
            cuts.Add(best);
        }
        var segments = new List<SegmentSpec>();
        for (int i = 0; i < cuts.Count; i++)
        {
            int a = cuts[i], b = i + 1 < cuts.Count ? cuts[i + 1] : n;
            segments.Add(new SegmentSpec(i, a, b, t.PtsNs[a], Time(t, b, end)));
        }
        return new SegmentPlan(segments, force, Math.Round(maxGop, 3), targetSeconds);
    }

    private static long Time(FrameTimeline t, int index, long end) => index >= t.FrameCount ? end : t.PtsNs[index];
}
