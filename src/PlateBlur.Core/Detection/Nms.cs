namespace PlateBlur.Core.Detection;

/// <summary>Non-maximum suppression that never loses area: a suppressed box widens the box that suppresses it.</summary>
public static class Nms
{
    /// <param name="iou">Boxes overlapping a kept box by at least this IoU are merged into it.</param>
    /// <param name="containment">A box with at least this share of its area inside a kept box is merged too (tile seams give partial boxes).</param>
    public static List<Detection> Merge(IEnumerable<Detection> detections, float iou = 0.5f, float containment = 0.8f)
    {
        var sorted = detections.OrderByDescending(d => d.Score).ToList();
        var kept = new List<Detection>();
        foreach (var d in sorted)
        {
            int hit = -1;
            for (int i = 0; i < kept.Count; i++)
            {
                var k = kept[i].Box;
                float inter = k.IntersectionArea(d.Box);
                if (inter <= 0) continue;
                if (k.Iou(d.Box) >= iou || inter >= containment * Math.Min(k.Area, d.Box.Area)) { hit = i; break; }
            }
            if (hit < 0) kept.Add(d);
            else kept[hit] = kept[hit] with { Box = kept[hit].Box.Union(d.Box) };
        }
        return kept;
    }

    /// <summary>Classic suppression (highest score wins, overlapping boxes dropped), per class.</summary>
    public static List<Detection> Suppress(IEnumerable<Detection> detections, float iou)
    {
        var kept = new List<Detection>();
        foreach (var d in detections.OrderByDescending(d => d.Score))
            if (!kept.Any(k => k.ClassId == d.ClassId && k.Box.Iou(d.Box) >= iou)) kept.Add(d);
        return kept;
    }
}
