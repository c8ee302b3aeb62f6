using System.Diagnostics;

namespace PlateBlur.Core.Detection;

/// <summary>Finds plates in one frame: a whole-frame pass (plus a native-size pass for small pictures) and native-resolution tiles, merged without losing area.</summary>
public sealed class FrameScanner(OnnxDetector plates, ScanOptions options, VehicleFinder? vehicles = null)
{
    /// <summary>Coarse-pass detections narrower than this share of the picture width are dropped (the finer passes see those).</summary>
    public const float CoarseMinShare = 0.2f;

    private List<BoxF>? _tiles;
    private (int W, int H) _tileFor;

    public OnnxDetector Plates => plates;

    /// <summary>The input side of the coarse pass for a dynamic-shape model: the shrunk picture centred in zeros of this size. With only
    /// a thin margin (224x160 for 160 px) the network takes a whole busy picture for one plate (ffmpeg's testsrc2 at 1080p: a
    /// full-frame mask on every frame); in the full 800 square it never did, nor in twice the coarse side (320x320 for 160 px, 16 % of
    /// the square's work), which is used.</summary>
    public static int CoarseInput(int coarseSide) => 2 * coarseSide;

    /// <summary>A find of the pyramid's middle is kept only when it is at least this many pixels wide in the shrunk picture that pass
    /// searched: smaller ones are seen better (tighter boxes) by the finer passes, and the middle's loose boxes, merged without losing
    /// area, made masks larger than the plate (openalpr IoU≥0.5 recall 97 % → 72 % with every find kept; 86 % at 24 px, 91 % at 32,
    /// 94 % at 40). 24 kept every tuning-half plate the middle had found; 32 lost a yellow one, 40 three (docs/results.md round 9).</summary>
    public const float MiddleMinWidth = 24;

    /// <summary>The middle of the scale pyramid that a photo's full search adds (<see cref="ScanOptions.PhotoFull"/>): the whole picture
    /// shrunk to each of these long sides, steps of 1.14–1.25 between the coarse pass (160) and the whole-frame pass (800). Chosen on the
    /// tuning half of the photo strata (docs/results.md round 9): four sizes (240, 320, 480, 640) found most of the two-line, night and
    /// close-up plates that the 160 and 800 passes both miss; these eight found the rest of the close-up, night and yellow ones, at
    /// 1.25–1.4× a photo's detection time (with the mirrored borders). Each pass's input is the shrunk picture plus the dynamic model's padding (a frame of zeros
    /// twice the side, as the coarse pass has, found fewer).</summary>
    public static readonly IReadOnlyList<int> PhotoSides = [200, 240, 280, 320, 400, 480, 560, 640];

    public VehicleFinder? Vehicles => options.Vehicles ? vehicles : null;

    /// <summary>The vehicles used for the last frame scanned (empty without vehicle-first detection).</summary>
    public IReadOnlyList<Vehicle> LastVehicles { get; private set; } = [];

    /// <summary>Forgets what was learned about the previous frames (a new file or segment starts).</summary>
    public void Reset()
    {
        vehicles?.Reset();
        LastVehicles = [];
    }
    public ScanOptions Options => options;
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Scans a frame. <paramref name="frameIndex"/> picks this frame's share of the tiles (pass -1 to search every tile).</summary>
    /// <param name="keyFrame">Video with key frames (<see cref="ScanOptions.KeySeconds"/>): false for the frames between them, which get
    /// the whole frame and their turn of the tiles but neither the coarse pass nor the vehicle model and its crops.</param>
    /// <param name="turn">Video with a scan schedule (<see cref="ScanOptions.ScanSeconds"/>): the number of the frame's scan slot, which picks
    /// its turn of the tiles instead of the frame index (only every other frame of a 30 fps clip is searched: by index, always the same tile).</param>
    public List<Detection> Scan(IImageSource image, long frameIndex = -1, float? threshold = null, bool keyFrame = true, long turn = -1) =>
        Nms.Merge(ScanRaw(image, frameIndex, threshold ?? options.Threshold, keyFrame, turn));

    /// <summary>Scans a photo: what <see cref="Scan"/> does for one picture, plus, with <see cref="ScanOptions.PhotoFull"/>, the middle
    /// of the scale pyramid and a mirrored letterbox border on every pass. A photo is one picture, so a fuller search costs tens of
    /// milliseconds, not hours of video; QC's re-detection of a masked photo does not use it.</summary>
    public List<Detection> ScanPhoto(IImageSource image, float? threshold = null) =>
        Nms.Merge(ScanRaw(image, -1, threshold ?? options.Threshold, photo: true));

    /// <summary>Every pass's detections at <paramref name="threshold"/>, before merging. Merging those with a score of at least t
    /// gives exactly what <see cref="Scan"/> gives at threshold t, so one low-threshold pass serves a whole threshold sweep.</summary>
    /// <param name="keyFrame">False for the frames between key frames: no coarse pass and no vehicles.</param>
    /// <param name="photo">A photo (<see cref="ScanPhoto"/>): with <see cref="ScanOptions.PhotoFull"/>, the pyramid's middle sizes and
    /// mirrored borders are added.</param>
    public List<Detection> ScanRaw(IImageSource image, long frameIndex, float threshold, bool keyFrame = true, long turn = -1, bool photo = false)
    {
        bool full = photo && options.PhotoFull && frameIndex < 0;
        bool scheduled = options.KeyNs > 0 && frameIndex >= 0;
        var sw = Stopwatch.StartNew();
        var whole = new BoxF(0, 0, image.Width, image.Height);
        int longSide = Math.Max(image.Width, image.Height);
        // Every pass of the frame is listed first, then run at once over the detector's lanes (results kept in list order).
        var passes = new List<OnnxDetector.Pass> { options.WholeSide > 0 && options.WholeSide < plates.InputSize ? new(whole, MaxScale: options.WholeSide / (float)longSide) : new(whole) };
        // A picture smaller than the model input is enlarged by the letterbox, and a plate that fills it becomes larger
        // than anything the model learned: search it at its native size as well.
        if (longSide < plates.InputSize * 0.9f)
            passes.Add(new(whole, MaxScale: 1f));
        // Scale pyramid, coarse end: a plate that fills much of the picture is larger than anything the model learned, and sharp
        // large plates are missed at every finer scale. The whole picture shrunk to CoarseSide pixels (long side) brings a plate
        // filling 90 % of the width down to about 150 px. Video: every TileEvery-th frame (a close plate stays close for a while).
        int coarse = -1;
        if (options.CoarseSide > 0 && longSide > options.CoarseSide * 1.5f && (frameIndex < 0 || (scheduled ? keyFrame : frameIndex % options.TileEvery == 0)))
        {
            coarse = passes.Count;
            passes.Add(new(whole, MaxScale: options.CoarseSide / (float)longSide, MinInput: CoarseInput(options.CoarseSide)));
        }
        // The pyramid's middle, photos only: plates between what the coarse pass (a plate filling the picture) and the whole frame
        // (800 px) see best, such as large two-line plates and close-ups at 60-70 % of the width. Each pass's scale is kept for the
        // size its finds must have (MiddleMinWidth).
        var middle = new Dictionary<int, float>();
        if (full)
            foreach (int side in PhotoSides)
                if (side > options.CoarseSide && side < Math.Min(longSide, plates.InputSize) * 0.9f)
                {
                    float scale = side / (float)longSide;
                    middle[passes.Count] = scale;
                    passes.Add(new(whole, MaxScale: scale));
                }
        if (options.Tiles)
        {
            var tiles = TilesFor(image.Width, image.Height);
            int every = frameIndex < 0 ? 1 : Math.Min(options.TileEvery, Math.Max(1, tiles.Count));
            for (int i = 0; i < tiles.Count; i++)
                if (every == 1 || i % every == (int)((turn >= 0 ? turn : frameIndex) % every))
                    passes.Add(new(tiles[i]));
        }
        if (Vehicles is { } finder && (!scheduled || keyFrame))
        {
            var seen = finder.Find(image, frameIndex, frameIndex < 0 || scheduled || frameIndex % options.VehicleEvery == 0);
            LastVehicles = seen;
            var crops = CropsFor(seen, image, frameIndex);
            for (int i = 0; i < crops.Count; i += 4)
                passes.Add(OnnxDetector.Pass.Of(crops.Skip(i).Take(4).ToList()));
        }
        // A photo's full search mirrors the picture into every pass's letterbox border: a plate cut by the photo's edge is then not
        // set against a black band the model never saw beside a plate (round 7). Video keeps the black border (MirrorEdges is opt-in
        // there, see PlateBlurOptions). The coarse pass keeps its black surround whatever this says (OnnxDetector).
        if (full)
            for (int k = 0; k < passes.Count; k++) passes[k] = passes[k] with { Mirror = true };
        var results = plates.DetectAll(image, passes, threshold);
        var found = new List<Detection>();
        for (int i = 0; i < results.Length; i++)
        {
            if (i == coarse)
            {
                // Only large plates are taken from it: smaller ones are better seen (tighter boxes) by the finer passes.
                // In video a large false alarm would be tracked, followed and coasted for a second: there the coarse pass needs the
                // score that confirms a track (twice the threshold); a real close plate scores that in some frame and the tracker keeps it.
                float minWidth = image.Width * CoarseMinShare;
                float minScore = frameIndex < 0 ? 0 : Math.Min(0.9f, 2 * options.Threshold);
                found.AddRange(results[i].Where(d => d.Box.W >= minWidth && d.Score >= minScore));
            }
            else if (middle.TryGetValue(i, out float scale))
                found.AddRange(results[i].Where(d => d.Box.W * scale >= MiddleMinWidth));
            else found.AddRange(results[i]);
        }
        Elapsed += sw.Elapsed;
        return found;
    }

    /// <summary>Crop regions around vehicles that the whole-frame pass does not already see well; at most MaxCrops, taking turns.</summary>
    private List<BoxF> CropsFor(IReadOnlyList<Vehicle> seen, IImageSource image, long frameIndex)
    {
        var candidates = seen
            .Where(v => v.Box.H < image.Height * 0.5f && v.Box.W >= 12 && v.Box.H >= 12)
            .OrderBy(v => v.Id)
            .Select(v => v.Box.Pad(options.VehicleMargin).Clip(image.Width, image.Height))
            .ToList();
        if (candidates.Count <= options.MaxCrops) return candidates;
        int start = (int)(Math.Max(0, frameIndex) * options.MaxCrops % candidates.Count);
        return Enumerable.Range(0, options.MaxCrops).Select(i => candidates[(start + i) % candidates.Count]).ToList();
    }

    public List<BoxF> TilesFor(int width, int height)
    {
        if (_tiles == null || _tileFor != (width, height))
        {
            _tiles = TileGrid(width, height, plates.InputSize, options.TileOverlap);
            _tileFor = (width, height);
        }
        return _tiles;
    }

    /// <summary>Overlapping square tiles at (nearly) native resolution; empty when the frame fits the model input.</summary>
    /// <remarks>A tile is the model's input size, or the frame's short side when that is at most 1.25× the input:
    /// a 720-line frame then needs one row of tiles scaled by 0.89 instead of two heavily overlapping rows.</remarks>
    public static List<BoxF> TileGrid(int width, int height, int input, float overlap)
    {
        var tiles = new List<BoxF>();
        if (width <= input && height <= input) return tiles;
        int shortSide = Math.Min(width, height);
        int tile = shortSide > input && shortSide <= input * 1.25f ? shortSide : input;
        var xs = Starts(width, tile, overlap);
        var ys = Starts(height, tile, overlap);
        foreach (var y in ys)
            foreach (var x in xs)
                tiles.Add(new BoxF(x, y, Math.Min(tile, width), Math.Min(tile, height)));
        return tiles;
    }

    private static List<float> Starts(int length, int tile, float overlap)
    {
        if (length <= tile) return [0];
        float step = tile * (1 - overlap);
        int n = (int)Math.Ceiling((length - tile) / step) + 1;
        var starts = new List<float>(n);
        for (int i = 0; i < n; i++) starts.Add(MathF.Round((length - tile) * (float)i / (n - 1)));
        return starts;
    }
}
