using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PlateBlur.Core.Detection;

/// <summary>Runs one ONNX detection model on regions of an image: letterbox, inference, decode, mapping back to source pixels.</summary>
/// <remarks>Holds one or more <em>lanes</em>: an ONNX Runtime session with its own input buffers. <see cref="DetectAll"/> spreads the
/// passes of one frame over the lanes, which run at once on their own threads; one-thread sessions side by side use two cores better than one
/// two-thread session (on a 2-core machine 27.1 ms vs 24.7 ms per 800-px inference: intra-op threads scale poorly on this small network).
/// Not thread-safe otherwise: call it from one worker at a time.</remarks>
public sealed class OnnxDetector : IDisposable
{
    private readonly Lane[] _lanes;
    private readonly string _inputName, _outputName;
    private readonly HashSet<int> _classes;
    private long _inferences, _inferenceTicks;

    /// <summary>The largest stride of the supported networks: a dynamic-shape input must have sides that are multiples of it.</summary>
    public const int Stride = 32;

    /// <summary>Padding kept around the content of a dynamic-shape input. The network learned plates with the letterbox's padding
    /// around the picture; without any, boxes near the top and bottom loosen (openalpr photos: IoU≥0.5 recall 95.2 % instead of
    /// 97.3 %, false positives +10 %); with 32 px both are as with the full square (97.27 %, 1.44 per photo).</summary>
    public const int ContextMargin = 32;

    /// <summary>One session and the buffers it fills.</summary>
    private sealed class Lane(InferenceSession session, int size) : IDisposable
    {
        public readonly InferenceSession Session = session;
        public readonly float[] Input = new float[3 * size * size];
        public readonly byte[] Rgb = new byte[3 * size * size];
        public void Dispose() => Session.Dispose();
    }

    /// <param name="threads">ONNX Runtime threads in all (0: one per core), shared out over the lanes.</param>
    /// <param name="lanes">Sessions run side by side by <see cref="DetectAll"/> (at least 1, at most <paramref name="threads"/>).</param>
    /// <param name="provider">"cpu", or "cuda" for ONNX Runtime's CUDA execution provider (GPU device 0, one lane). Where CUDA cannot be
    /// used (a CPU build of PlateBlur, no GPU, no driver) the detector runs on the CPU and <see cref="ProviderNote"/> says why.</param>
    public OnnxDetector(ModelSpec spec, string modelPath, int threads = 0, int lanes = 1, string provider = "cpu")
    {
        Spec = spec;
        int total = threads > 0 ? threads : Math.Max(1, Environment.ProcessorCount);
        bool cuda = string.Equals(provider, "cuda", StringComparison.OrdinalIgnoreCase);
        if (!cuda && !string.Equals(provider, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentOutOfRangeException(nameof(provider), provider, "execution-provider must be cpu or cuda");
        InferenceSession? gpu = null;
        if (cuda)
        {
            try
            {
                // One session on the GPU: its kernels run the passes one after the other faster than CPU lanes side by side.
                gpu = Open(modelPath, total, cuda: true);
                Provider = "cuda";
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or InvalidDataException or TypeInitializationException)
            {
                ProviderNote = $"the CUDA execution provider cannot be used ({FirstLine(e)}); running on the CPU";
            }
        }
        lanes = Math.Clamp(lanes, 1, total);
        var sessions = gpu != null ? [gpu] : new InferenceSession[lanes];
        int size = spec.InputSize;
        try
        {
            if (gpu == null)
                for (int i = 0; i < lanes; i++) sessions[i] = Open(modelPath, total / lanes + (i < total % lanes ? 1 : 0));
            var first = sessions[0];
            var input = first.InputMetadata.First();
            _inputName = input.Key;
            _outputName = first.OutputMetadata.First().Key;
            var dims = input.Value.Dimensions;
            if (dims.Length == 4 && dims[2] > 0 && dims[3] > 0)
            {
                if (dims[2] != dims[3]) throw new InvalidDataException($"Model {spec.Name} has a non-square input {dims[2]}x{dims[3]}.");
                size = dims[2];
            }
            else if (dims.Length == 4)
            {
                // Height and width are symbolic: the network accepts any multiple of its stride, and each pass feeds only the
                // input its content needs plus ContextMargin (a 16:9 frame 800x544) instead of the full square.
                if (size % Stride != 0) throw new InvalidDataException($"Model {spec.Name} has a dynamic input shape: its manifest input size ({size}) must be a multiple of {Stride}.");
                DynamicInput = true;
            }
        }
        catch
        {
            // A model that cannot be used leaves no session open.
            foreach (var open in sessions) open?.Dispose();
            throw;
        }
        InputSize = size;
        _lanes = [.. sessions.Select(x => new Lane(x, size))];
        _classes = [.. spec.Classes];
    }

    private static string FirstLine(Exception e) => (e.InnerException is { } inner && e is TypeInitializationException ? inner : e).Message.Split('\n')[0].Trim();

    private static InferenceSession Open(string modelPath, int threads, bool cuda = false)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // Idle worker threads must not spin: ffmpeg decodes and encodes on the same cores between inferences.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        // Throws where this ONNX Runtime build has no CUDA provider or no usable GPU; the caller falls back to the CPU.
        if (cuda) options.AppendExecutionProvider_CUDA(0);
        try
        {
            return new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Model {Path.GetFileName(modelPath)} cannot be loaded by ONNX Runtime: {e.Message}", e);
        }
    }

    public ModelSpec Spec { get; }
    public int InputSize { get; }
    /// <summary>The model takes any input height and width (multiples of <see cref="Stride"/>); otherwise always InputSize².</summary>
    public bool DynamicInput { get; }
    /// <summary>Where inferences run: "cpu" or "cuda".</summary>
    public string Provider { get; } = "cpu";
    /// <summary>Why a requested GPU is not used (null when it is, or when none was asked for).</summary>
    public string? ProviderNote { get; }

    /// <summary>Sessions that <see cref="DetectAll"/> runs side by side.</summary>
    public int Lanes => _lanes.Length;
    public long Inferences => Interlocked.Read(ref _inferences);
    /// <summary>Time inside inferences, summed over the lanes (more than the wall time when lanes overlap).</summary>
    public TimeSpan InferenceTime => TimeSpan.FromTicks(Interlocked.Read(ref _inferenceTicks));

    /// <summary>One search of a frame: a region letterboxed alone (<see cref="Mosaic"/> null) or up to four regions in a mosaic.</summary>
    /// <param name="Mirror">Fill this pass's letterbox border with the picture mirrored (as <see cref="MirrorPad"/> does for every pass).</param>
    public readonly record struct Pass(BoxF Region, float MaxScale = float.MaxValue, int MinInput = 0, IReadOnlyList<BoxF>? Mosaic = null, bool Mirror = false)
    {
        public static Pass Of(IReadOnlyList<BoxF> regions, float maxScale = 4f) => new(default, maxScale, 0, regions);
    }

    /// <summary>Runs every pass on <paramref name="image"/>, spread over the lanes; the result of pass i is at index i, whichever lane ran it.</summary>
    public List<Detection>[] DetectAll(IImageSource image, IReadOnlyList<Pass> passes, float threshold)
    {
        var results = new List<Detection>[passes.Count];
        if (_lanes.Length == 1 || passes.Count <= 1)
        {
            for (int i = 0; i < passes.Count; i++) results[i] = Run(_lanes[0], image, passes[i], threshold);
            return results;
        }
        int next = -1;
        void Drain(Lane lane)
        {
            for (int i; (i = Interlocked.Increment(ref next)) < passes.Count;) results[i] = Run(lane, image, passes[i], threshold);
        }
        int helpers = Math.Min(_lanes.Length, passes.Count) - 1;
        var others = new Task[helpers];
        for (int k = 0; k < helpers; k++)
        {
            var lane = _lanes[k + 1];
            others[k] = Task.Factory.StartNew(() => Drain(lane), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }
        try { Drain(_lanes[0]); }
        finally { Task.WaitAll(others); }
        return results;
    }

    private List<Detection> Run(Lane lane, IImageSource image, Pass pass, float threshold) =>
        pass.Mosaic is { } regions ? DetectMosaic(lane, image, regions, threshold, pass.MaxScale) : Detect(lane, image, pass.Region, threshold, pass.MaxScale, pass.MinInput, pass.Mirror);

    /// <summary>Detects in <paramref name="region"/> of <paramref name="image"/>; boxes come back in image pixels.</summary>
    /// <param name="minInput">Dynamic-shape models: the input is at least this many pixels on each side, the content centred in zeros
    /// (a small picture searched whole keeps the padding around it that the network learned plates against).</param>
    public List<Detection> Detect(IImageSource image, BoxF region, float threshold, float maxScale = float.MaxValue, int minInput = 0) =>
        Detect(_lanes[0], image, region, threshold, maxScale, minInput, false);

    private List<Detection> Detect(Lane lane, IImageSource image, BoxF region, float threshold, float maxScale, int minInput, bool mirror)
    {
        var lb = Letterbox.For(region, InputSize, Spec.Letterbox != "top-left", maxScale, DynamicInput ? Stride : 0, ContextMargin, minInput);
        lane.Input.AsSpan(0, 3 * lb.Width * lb.Height).Fill(Spec.PadValue * Spec.Scale);
        Fill(lane, image, lb, 0, 0, lb.Width, lb.Height);
        // Not for a small picture centred in a large frame of zeros (the coarse pass): there the black surround is what the network
        // learned whole plates against, and a mirrored surround tiles the picture (close-ups fell from 97 % to 78 %).
        if (!(MirrorPad || mirror) || minInput > 0) return Infer(lane, threshold, lb.Width, lb.Height).Select(d => d.MapBack(lb.ToSource)).ToList();
        int cx = (int)lb.PadX, cy = (int)lb.PadY, cw = lb.ContentWidth, ch = lb.ContentHeight;
        Mirror(lane.Input, lb.Width, lb.Height, cx, cy, cw, ch);
        // A find mostly in the mirrored border is the twin of something inside (dropped); one across the edge is a plate cut by it,
        // kept with its box clipped to the picture.
        var content = new BoxF(cx, cy, cw, ch);
        return Infer(lane, threshold, lb.Width, lb.Height)
            .Where(d => d.Box.Area > 0 && d.Box.IntersectionArea(content) >= 0.3f * d.Box.Area)
            .Select(d => (d with { Box = BoxF.FromCorners(Math.Max(d.Box.X, cx), Math.Max(d.Box.Y, cy), Math.Min(d.Box.Right, cx + cw), Math.Min(d.Box.Bottom, cy + ch)) })
                .MapBack(lb.ToSource))
            .ToList();
    }

    /// <summary>Searches up to four regions in one inference: each is letterboxed into a quarter of the input (a 2×2 mosaic),
    /// detections are assigned to the quarter holding their centre, clipped to it and mapped back through its letterbox.</summary>
    /// <param name="maxScale">Largest enlargement of a region (small, distant vehicles are not blown up beyond recognition).</param>
    public List<Detection> DetectMosaic(IImageSource image, IReadOnlyList<BoxF> regions, float threshold, float maxScale = 4f) =>
        DetectMosaic(_lanes[0], image, regions, threshold, maxScale);

    private List<Detection> DetectMosaic(Lane lane, IImageSource image, IReadOnlyList<BoxF> regions, float threshold, float maxScale)
    {
        if (regions.Count is 0 or > 4) throw new ArgumentOutOfRangeException(nameof(regions), "a mosaic holds one to four regions");
        int half = InputSize / 2;
        // A dynamic-shape model gets one row of cells for one or two regions (a 2x1 mosaic, half the work).
        int width = InputSize, height = DynamicInput && regions.Count <= 2 ? Letterbox.RoundUp(half, Stride) : InputSize;
        lane.Input.AsSpan(0, 3 * width * height).Fill(Spec.PadValue * Spec.Scale);
        var cells = new (Letterbox Lb, int Ox, int Oy)[regions.Count];
        for (int i = 0; i < regions.Count; i++)
        {
            var lb = Letterbox.For(regions[i], half, Spec.Letterbox != "top-left", maxScale);
            int ox = i % 2 * half, oy = i / 2 * half;
            Fill(lane, image, lb, ox, oy, width, height);
            cells[i] = (lb, ox, oy);
        }
        var found = new List<Detection>();
        foreach (var d in Infer(lane, threshold, width, height))
        {
            int i = (d.Box.CenterX >= half ? 1 : 0) + (d.Box.CenterY >= half ? 2 : 0);
            if (i >= cells.Length) continue;
            var (lb, ox, oy) = cells[i];
            var cell = new BoxF(ox, oy, half, half);
            var clipped = d with { Box = BoxF.FromCorners(Math.Max(d.Box.X, cell.X), Math.Max(d.Box.Y, cell.Y), Math.Min(d.Box.Right, cell.Right), Math.Min(d.Box.Bottom, cell.Bottom)) };
            found.Add(clipped.MapBack((x, y) => lb.ToSource(x - ox, y - oy)));
        }
        return found;
    }

    private List<Detection> Infer(Lane lane, float threshold, int width, int height)
    {
        var sw = Stopwatch.StartNew();
        var tensor = new DenseTensor<float>(lane.Input.AsMemory(0, 3 * width * height), [1, 3, height, width]);
        using var results = lane.Session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)], [_outputName]);
        var output = (DenseTensor<float>)results.First().AsTensor<float>();
        var dims = output.Dimensions.ToArray();
        var raw = OutputDecoder.Decode(Spec.Layout, output.Buffer.Span, dims, threshold, _classes, InputSize);
        Interlocked.Add(ref _inferenceTicks, sw.Elapsed.Ticks);
        Interlocked.Increment(ref _inferences);
        return Nms.Suppress(raw, Spec.NmsIou);
    }

    /// <summary>Writes the letterboxed region into the <paramref name="width"/>×<paramref name="height"/> input tensor with its top-left corner at (<paramref name="ox"/>, <paramref name="oy"/>).</summary>
    private void Fill(Lane lane, IImageSource image, Letterbox lb, int ox, int oy, int width, int height)
    {
        var input = lane.Input;
        int cw = lb.ContentWidth, ch = lb.ContentHeight;
        int px = (int)lb.PadX + ox, py = (int)lb.PadY + oy;
        var rgb = lane.Rgb;
        image.ResizeToRgb(lb.Region, cw, ch, rgb);
        bool bgr = Spec.Channels == "bgr";
        float scale = Spec.Scale;
        int plane = width * height;
        int c0 = bgr ? 2 : 0, c2 = bgr ? 0 : 2;
        for (int y = 0; y < ch; y++)
        {
            int row = (y + py) * width + px;
            int src = y * cw * 3;
            for (int x = 0; x < cw; x++, src += 3)
            {
                input[row + x] = rgb[src + c0] * scale;
                input[plane + row + x] = rgb[src + 1] * scale;
                input[2 * plane + row + x] = rgb[src + c2] * scale;
            }
        }
    }

    /// <summary>The letterbox border holds the content mirrored about its edges instead of black, so a plate cut by the picture's
    /// edge is not set against a black band (PlateBlurOptions.MirrorEdges; not for a picture centred in a large frame of zeros).</summary>
    public bool MirrorPad { get; init; }

    private static void Mirror(float[] input, int width, int height, int px, int py, int cw, int ch)
    {
        if (cw < 2 || ch < 2) return;
        int plane = width * height;
        for (int c = 0; c < 3; c++)
        {
            int b = c * plane;
            for (int y = 0; y < height; y++)
            {
                if (y >= py && y < py + ch) continue;
                int sy = y < py ? py + Math.Min(ch - 1, py - 1 - y) : py + ch - 1 - Math.Min(ch - 1, y - (py + ch));
                Array.Copy(input, b + sy * width + px, input, b + y * width + px, cw);
            }
            for (int y = 0; y < height; y++)
            {
                int row = b + y * width;
                for (int x = 0; x < px; x++) input[row + x] = input[row + px + Math.Min(cw - 1, px - 1 - x)];
                for (int x = px + cw; x < width; x++) input[row + x] = input[row + px + cw - 1 - Math.Min(cw - 1, x - (px + cw))];
            }
        }
    }

    public void Dispose()
    {
        foreach (var lane in _lanes) lane.Dispose();
    }
}
