using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PlateBlur.Core.Detection;

/// <summary>Runs one ONNX detection model on regions of an image: letterbox, inference, decode, mapping back to source pixels.</summary>
/// <remarks>Not thread-safe: it reuses its input buffers. Create one per worker.</remarks>
public sealed class OnnxDetector : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _inputName, _outputName;
    private readonly float[] _input;
    private readonly byte[] _rgb;
    private readonly HashSet<int> _classes;

    /// <summary>The largest stride of the supported networks: a dynamic-shape input must have sides that are multiples of it.</summary>
    public const int Stride = 32;

    /// <summary>Padding kept around the content of a dynamic-shape input. The network learned plates with the letterbox's padding
    /// around the picture; without any, boxes near the top and bottom loosen (openalpr photos: IoU≥0.5 recall 95.2 % instead of
    /// 97.3 %, false positives +10 %); with 32 px both are as with the full square (97.27 %, 1.44 per photo).</summary>
    public const int ContextMargin = 32;

    public OnnxDetector(ModelSpec spec, string modelPath, int threads = 0)
    {
        Spec = spec;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads > 0 ? threads : Math.Max(1, Environment.ProcessorCount),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // Idle worker threads must not spin: ffmpeg decodes and encodes on the same cores between inferences.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        try
        {
            _session = new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Model {Path.GetFileName(modelPath)} cannot be loaded by ONNX Runtime: {e.Message}", e);
        }
        var input = _session.InputMetadata.First();
        _inputName = input.Key;
        _outputName = _session.OutputMetadata.First().Key;
        var dims = input.Value.Dimensions;
        int size = spec.InputSize;
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
        InputSize = size;
        _input = new float[3 * size * size];
        _rgb = new byte[3 * size * size];
        _classes = [.. spec.Classes];
    }

    public ModelSpec Spec { get; }
    public int InputSize { get; }
    /// <summary>The model takes any input height and width (multiples of <see cref="Stride"/>); otherwise always InputSize².</summary>
    public bool DynamicInput { get; }
    public long Inferences { get; private set; }
    public TimeSpan InferenceTime { get; private set; }

    /// <summary>Detects in <paramref name="region"/> of <paramref name="image"/>; boxes come back in image pixels.</summary>
    /// <param name="minInput">Dynamic-shape models: the input is at least this many pixels on each side, the content centred in zeros
    /// (a small picture searched whole keeps the padding around it that the network learned plates against).</param>
    public List<Detection> Detect(IImageSource image, BoxF region, float threshold, float maxScale = float.MaxValue, int minInput = 0)
    {
        var lb = Letterbox.For(region, InputSize, Spec.Letterbox != "top-left", maxScale, DynamicInput ? Stride : 0, ContextMargin, minInput);
        _input.AsSpan(0, 3 * lb.Width * lb.Height).Fill(Spec.PadValue * Spec.Scale);
        Fill(image, lb, 0, 0, lb.Width, lb.Height);
        return Run(threshold, lb.Width, lb.Height).Select(d => d.MapBack(lb.ToSource)).ToList();
    }

    /// <summary>Searches up to four regions in one inference: each is letterboxed into a quarter of the input (a 2×2 mosaic),
    /// detections are assigned to the quarter holding their centre, clipped to it and mapped back through its letterbox.</summary>
    /// <param name="maxScale">Largest enlargement of a region (small, distant vehicles are not blown up beyond recognition).</param>
    public List<Detection> DetectMosaic(IImageSource image, IReadOnlyList<BoxF> regions, float threshold, float maxScale = 4f)
    {
        if (regions.Count is 0 or > 4) throw new ArgumentOutOfRangeException(nameof(regions), "a mosaic holds one to four regions");
        int half = InputSize / 2;
        // A dynamic-shape model gets one row of cells for one or two regions (a 2x1 mosaic, half the work).
        int width = InputSize, height = DynamicInput && regions.Count <= 2 ? Letterbox.RoundUp(half, Stride) : InputSize;
        _input.AsSpan(0, 3 * width * height).Fill(Spec.PadValue * Spec.Scale);
        var cells = new (Letterbox Lb, int Ox, int Oy)[regions.Count];
        for (int i = 0; i < regions.Count; i++)
        {
            var lb = Letterbox.For(regions[i], half, Spec.Letterbox != "top-left", maxScale);
            int ox = i % 2 * half, oy = i / 2 * half;
            Fill(image, lb, ox, oy, width, height);
            cells[i] = (lb, ox, oy);
        }
        var found = new List<Detection>();
        foreach (var d in Run(threshold, width, height))
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

    private List<Detection> Run(float threshold, int width, int height)
    {
        var sw = Stopwatch.StartNew();
        var tensor = new DenseTensor<float>(_input.AsMemory(0, 3 * width * height), [1, 3, height, width]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)], [_outputName]);
        var output = (DenseTensor<float>)results.First().AsTensor<float>();
        var dims = output.Dimensions.ToArray();
        var raw = OutputDecoder.Decode(Spec.Layout, output.Buffer.Span, dims, threshold, _classes, InputSize);
        InferenceTime += sw.Elapsed;
        Inferences++;
        return Nms.Suppress(raw, Spec.NmsIou);
    }

    /// <summary>Writes the letterboxed region into the <paramref name="width"/>×<paramref name="height"/> input tensor with its top-left corner at (<paramref name="ox"/>, <paramref name="oy"/>).</summary>
    private void Fill(IImageSource image, Letterbox lb, int ox, int oy, int width, int height)
    {
        int cw = lb.ContentWidth, ch = lb.ContentHeight;
        int px = (int)lb.PadX + ox, py = (int)lb.PadY + oy;
        image.ResizeToRgb(lb.Region, cw, ch, _rgb);
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
                _input[row + x] = _rgb[src + c0] * scale;
                _input[plane + row + x] = _rgb[src + 1] * scale;
                _input[2 * plane + row + x] = _rgb[src + c2] * scale;
            }
        }
    }

    public void Dispose() => _session.Dispose();
}
