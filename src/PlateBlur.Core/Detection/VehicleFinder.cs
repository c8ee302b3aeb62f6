namespace PlateBlur.Core.Detection;

/// <summary>A vehicle box in one frame, with a stable id across frames.</summary>
public readonly record struct Vehicle(int Id, BoxF Box, int ClassId, bool Detected);

/// <summary>Finds cars, motorcycles, buses and trucks with a small COCO detector, and between its runs predicts their boxes
/// forward by their last motion, so the vehicle model need not run on every frame.</summary>
public sealed class VehicleFinder(OnnxDetector model, float threshold = 0.3f)
{
    private sealed class Memory
    {
        public int Id;
        public BoxF Box;
        public BoxF Velocity;
        public long Frame;
        public int ClassId;
    }

    private readonly List<Memory> _known = [];
    private int _nextId = 1;
    private long _lastFrame = long.MinValue;

    public OnnxDetector Model => model;

    /// <summary>Forgets every vehicle (a new file or segment starts).</summary>
    public void Reset()
    {
        _known.Clear();
        _lastFrame = long.MinValue;
    }

    /// <summary>Vehicles in this frame: detected when <paramref name="detect"/> is true (or nothing is known yet), predicted otherwise.</summary>
    public List<Vehicle> Find(IImageSource image, long frame, bool detect)
    {
        if (frame < 0) return Detect(image).Select((d, i) => new Vehicle(-(i + 1), d.Box, d.ClassId, true)).ToList();
        if (frame <= _lastFrame || frame - _lastFrame > 30) Reset();
        _lastFrame = frame;
        if (!detect && _known.Count > 0)
            return _known.Select(m => new Vehicle(m.Id, Predict(m, frame, image.Width, image.Height), m.ClassId, false)).ToList();

        var found = Detect(image);
        var used = new HashSet<Memory>();
        var result = new List<Vehicle>();
        foreach (var d in found.OrderByDescending(d => d.Box.Area))
        {
            var match = _known.Where(m => !used.Contains(m)).Select(m => (m, iou: Predict(m, frame, image.Width, image.Height).Iou(d.Box)))
                .Where(x => x.iou >= 0.2f).OrderByDescending(x => x.iou).Select(x => x.m).FirstOrDefault();
            if (match != null)
            {
                float dt = Math.Max(1, frame - match.Frame);
                match.Velocity = new BoxF((d.Box.X - match.Box.X) / dt, (d.Box.Y - match.Box.Y) / dt, (d.Box.W - match.Box.W) / dt, (d.Box.H - match.Box.H) / dt);
                match.Box = d.Box; match.Frame = frame; match.ClassId = d.ClassId;
                used.Add(match);
            }
            else
            {
                match = new Memory { Id = _nextId++, Box = d.Box, Frame = frame, ClassId = d.ClassId };
                _known.Add(match);
                used.Add(match);
            }
            result.Add(new Vehicle(match.Id, d.Box, d.ClassId, true));
        }
        _known.RemoveAll(m => !used.Contains(m) && frame - m.Frame > 10);
        // Vehicles missed by this run but seen recently stay, predicted: a crop too many costs little, a crop too few can leak.
        result.AddRange(_known.Where(m => !used.Contains(m)).Select(m => new Vehicle(m.Id, Predict(m, frame, image.Width, image.Height), m.ClassId, false)));
        return result;
    }

    /// <summary>The whole frame, plus square halves of a wide frame (a 416 input shrinks 1280-pixel frames threefold and loses
    /// the small, distant vehicles whose plates are the hardest).</summary>
    private List<Detection> Detect(IImageSource image)
    {
        var found = model.Detect(image, new BoxF(0, 0, image.Width, image.Height), threshold);
        int side = Math.Min(image.Width, image.Height);
        if (image.Width > 2 * model.InputSize || image.Height > 2 * model.InputSize)
            foreach (var tile in FrameScanner.TileGrid(image.Width, image.Height, Math.Max(side, model.InputSize), 0.2f))
                found.AddRange(model.Detect(image, tile, threshold));
        return Nms.Suppress(found, model.Spec.NmsIou);
    }

    private static BoxF Predict(Memory m, long frame, int width, int height)
    {
        float dt = frame - m.Frame;
        var b = new BoxF(m.Box.X + m.Velocity.X * dt, m.Box.Y + m.Velocity.Y * dt, Math.Max(4, m.Box.W + m.Velocity.W * dt), Math.Max(4, m.Box.H + m.Velocity.H * dt));
        return b.Clip(width, height);
    }
}
