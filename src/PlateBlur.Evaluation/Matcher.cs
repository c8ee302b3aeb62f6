using PlateBlur.Core.Detection;

namespace PlateBlur.Evaluation;

/// <summary>How ground-truth plates are scored against detections and masks.</summary>
public static class Matcher
{
    /// <summary>A plate counts as covered when at least this share of its box lies inside masks.</summary>
    public const double CoveredShare = 0.9;

    /// <summary>Share of <paramref name="truth"/>'s area inside the union of <paramref name="masks"/>, counted on a grid of at most 64×64 cells.</summary>
    public static double Coverage(BoxF truth, IReadOnlyList<BoxF> masks)
    {
        if (truth.Area <= 0) return 1;
        var relevant = masks.Where(m => m.IntersectionArea(truth) > 0).ToList();
        if (relevant.Count == 0) return 0;
        if (relevant.Count == 1) return relevant[0].IntersectionArea(truth) / truth.Area;
        int nx = Math.Clamp((int)MathF.Ceiling(truth.W), 1, 64), ny = Math.Clamp((int)MathF.Ceiling(truth.H), 1, 64);
        int inside = 0;
        for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
        {
            float x = truth.X + (i + 0.5f) * truth.W / nx, y = truth.Y + (j + 0.5f) * truth.H / ny;
            if (relevant.Any(m => x >= m.X && x < m.Right && y >= m.Y && y < m.Bottom)) inside++;
        }
        return (double)inside / (nx * ny);
    }

    /// <summary>Greedy one-to-one matching by IoU, highest pairs first; returns, per truth, the matched detection index or -1.</summary>
    public static int[] MatchGreedy(IReadOnlyList<BoxF> truths, IReadOnlyList<BoxF> detections, double minIou)
    {
        var pairs = new List<(double iou, int t, int d)>();
        for (int t = 0; t < truths.Count; t++)
            for (int d = 0; d < detections.Count; d++)
            {
                double iou = truths[t].Iou(detections[d]);
                if (iou >= minIou) pairs.Add((iou, t, d));
            }
        var match = Enumerable.Repeat(-1, truths.Count).ToArray();
        var used = new bool[detections.Count];
        foreach (var (_, t, d) in pairs.OrderByDescending(p => p.iou).ThenBy(p => p.t).ThenBy(p => p.d))
        {
            if (match[t] >= 0 || used[d]) continue;
            match[t] = d; used[d] = true;
        }
        return match;
    }
}
