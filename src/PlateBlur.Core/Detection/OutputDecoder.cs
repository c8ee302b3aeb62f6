namespace PlateBlur.Core.Detection;

/// <summary>Turns a model's raw output tensor into candidate detections in model-input pixels.</summary>
public static class OutputDecoder
{
    /// <param name="dims">Output tensor shape.</param>
    /// <param name="classes">Class ids that count (empty = all).</param>
    public static List<Detection> Decode(OutputLayout layout, ReadOnlySpan<float> o, ReadOnlySpan<int> dims, float threshold, IReadOnlyCollection<int> classes, int inputSize = 0)
    {
        var result = new List<Detection>();
        switch (layout)
        {
            case OutputLayout.Yolov5Face:
            {
                int n = dims[1], stride = dims[2];
                if (stride < 15) throw new InvalidDataException($"yolov5-face output needs 15 values per row, got {stride}.");
                int nc = stride - 13;
                for (int i = 0; i < n; i++)
                {
                    var r = o.Slice(i * stride, stride);
                    if (r[4] < threshold) continue;
                    var (cls, best) = BestClass(r.Slice(13, nc), classes);
                    float score = r[4] * best;
                    if (score < threshold) continue;
                    var corners = new PointF[4];
                    for (int k = 0; k < 4; k++) corners[k] = new PointF(r[5 + 2 * k], r[6 + 2 * k]);
                    result.Add(new Detection(BoxF.FromCenter(r[0], r[1], r[2], r[3]), score, cls, corners));
                }
                break;
            }
            case OutputLayout.Yolov5:
            {
                int n = dims[1], stride = dims[2], nc = stride - 5;
                for (int i = 0; i < n; i++)
                {
                    var r = o.Slice(i * stride, stride);
                    if (r[4] < threshold) continue;
                    var (cls, best) = nc > 0 ? BestClass(r.Slice(5, nc), classes) : (0, 1f);
                    float score = r[4] * best;
                    if (score >= threshold) result.Add(new Detection(BoxF.FromCenter(r[0], r[1], r[2], r[3]), score, cls));
                }
                break;
            }
            case OutputLayout.Yolov8:
            {
                int rows = dims[1], n = dims[2], nc = rows - 4;
                for (int i = 0; i < n; i++)
                {
                    int cls = -1; float best = 0;
                    for (int c = 0; c < nc; c++)
                    {
                        if (classes.Count > 0 && !classes.Contains(c)) continue;
                        float s = o[(4 + c) * n + i];
                        if (s > best) { best = s; cls = c; }
                    }
                    if (best < threshold || cls < 0) continue;
                    result.Add(new Detection(BoxF.FromCenter(o[i], o[n + i], o[2 * n + i], o[3 * n + i]), best, cls));
                }
                break;
            }
            case OutputLayout.Yolox:
            {
                int n = dims[1], stride = dims[2], nc = stride - 5;
                int idx = 0;
                foreach (int s in new[] { 8, 16, 32 })
                {
                    int g = inputSize / s;
                    for (int gy = 0; gy < g; gy++)
                    for (int gx = 0; gx < g; gx++, idx++)
                    {
                        if (idx >= n) break;
                        var r = o.Slice(idx * stride, stride);
                        if (r[4] < threshold) continue;
                        var (cls, best) = BestClass(r.Slice(5, nc), classes);
                        float score = r[4] * best;
                        if (score < threshold) continue;
                        float cx = (r[0] + gx) * s, cy = (r[1] + gy) * s, w = MathF.Exp(r[2]) * s, h = MathF.Exp(r[3]) * s;
                        result.Add(new Detection(BoxF.FromCenter(cx, cy, w, h), score, cls));
                    }
                }
                break;
            }
        }
        return result;
    }

    private static (int cls, float score) BestClass(ReadOnlySpan<float> scores, IReadOnlyCollection<int> classes)
    {
        int cls = -1; float best = 0;
        for (int c = 0; c < scores.Length; c++)
        {
            if (classes.Count > 0 && !classes.Contains(c)) continue;
            if (scores[c] > best) { best = scores[c]; cls = c; }
        }
        return (Math.Max(cls, 0), best);
    }

    /// <summary>Guesses the layout of an unknown model from its output shape.</summary>
    public static OutputLayout Guess(ReadOnlySpan<int> dims)
    {
        if (dims.Length != 3) throw new InvalidDataException($"Expected a 3-D detector output, got {dims.Length}-D.");
        if (dims[1] < dims[2]) return OutputLayout.Yolov8;
        return dims[2] == 15 ? OutputLayout.Yolov5Face : OutputLayout.Yolov5;
    }
}
