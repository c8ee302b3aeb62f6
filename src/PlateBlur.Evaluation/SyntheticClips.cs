using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;

namespace PlateBlur.Evaluation;

/// <summary>A partial occlusion: a dark bar over part of the plate during some frames.</summary>
public sealed record Occlusion(int FromFrame, int ToFrame, double Share, bool FromLeft);

/// <summary>Everything that makes one synthetic clip, written next to the results so a run can be repeated exactly.</summary>
public sealed record ClipRecipe(
    string Name, string Source, int Frames, int Fps, int Width, int Height,
    double StartPlateHeight, double EndPlateHeight, double StartX, double StartY, double EndX, double EndY,
    double ShakePixels, int BlurSamples, double BlurExposure, double Gain, double Gamma, int Crf, Occlusion? Occlusion, int Seed,
    double Roll = 0);

/// <summary>A ground-truth plate box in one frame.</summary>
public sealed record TruthBox(int Frame, BoxF Box, int PlateId);

/// <summary>Turns annotated photos into short videos with known per-frame plate boxes: pans, zooms down to 12 px plates, shake,
/// motion blur, darkening, partial occlusion and heavy compression, all from a seed; optionally the picture turned about the plate
/// (<see cref="ClipRecipe.Roll"/>, degrees), as plates near the edges of a wide-angle or fisheye frame are.</summary>
public static class SyntheticClips
{
    /// <param name="roll">Turn every clip's picture by this many degrees about the plate, clockwise and anticlockwise in turn (0: upright).
    /// It draws nothing from the seed's stream, so the clips are otherwise the same as without it.</param>
    public static List<ClipRecipe> Plan(IReadOnlyList<AnnotatedImage> photos, int count, int seed, int width = 1280, int height = 720, int frames = 60, int fps = 30,
        double roll = 0)
    {
        var rng = new Random(seed);
        var usable = photos.Where(p => p.Plates.Count > 0).ToList();
        if (usable.Count == 0) throw new InvalidDataException("No annotated plates to build clips from.");
        var order = usable.OrderBy(_ => rng.Next()).ToList();
        var recipes = new List<ClipRecipe>();
        int[] crfs = [23, 35, 45];
        for (int k = 0; k < count; k++)
        {
            var photo = order[k % order.Count];
            bool zoomOut = k % 2 == 0;
            double small = 12 + rng.NextDouble() * 6, large = 35 + rng.NextDouble() * 45;
            double M(double extent) => extent * (0.15 + 0.7 * rng.NextDouble());
            bool night = k % 4 == 1;
            recipes.Add(new ClipRecipe(
                $"clip{k:00}", Path.GetFileName(photo.Image), frames, fps, width, height,
                zoomOut ? large : small, zoomOut ? small : large,
                M(width), M(height), M(width), M(height),
                ShakePixels: rng.NextDouble() * 6,
                BlurSamples: k % 3 == 0 ? 5 : 1, BlurExposure: k % 3 == 0 ? 1 + rng.NextDouble() * 3 : 0,
                Gain: night ? 0.35 + rng.NextDouble() * 0.2 : 0.8 + rng.NextDouble() * 0.2, Gamma: night ? 1.15 + rng.NextDouble() * 0.2 : 1,
                Crf: crfs[k % crfs.Length],
                Occlusion: k % 3 == 2 ? new Occlusion(frames / 4, frames / 4 + frames / 3, 0.3 + rng.NextDouble() * 0.2, rng.Next(2) == 0) : null,
                Seed: rng.Next(),
                Roll: k % 2 == 0 ? roll : -roll));
        }
        return recipes;
    }

    /// <summary>Renders a clip to <paramref name="outputPath"/> (H.264 at the recipe's CRF) and returns the visible plate boxes per frame.</summary>
    public static async Task<List<TruthBox>> RenderAsync(ClipRecipe r, AnnotatedImage photo, string outputPath, CancellationToken ct = default)
    {
        var src = Photo.Load(photo.Image);
        var plate = photo.Plates[0];
        var rng = new Random(r.Seed);
        var shake = Enumerable.Range(0, r.Frames).Select(_ => (Gauss(rng) * r.ShakePixels, Gauss(rng) * r.ShakePixels)).ToArray();
        var lut = Enumerable.Range(0, 256).Select(v => (byte)Math.Clamp(255 * Math.Pow(r.Gain * v / 255.0, r.Gamma), 0, 255)).ToArray();
        var stream = new VideoStreamInfo(0, "rawvideo", r.Width, r.Height, 0, $"{r.Fps}/1", r.Fps, r.Fps, $"1/{r.Fps}", 0, "yuv420p");
        var truth = new List<TruthBox>();
        await using var writer = new FrameWriter(outputPath, r.Width, r.Height, stream, new EncodeSettings(Crf: r.Crf, Preset: "veryfast"));
        var rgb = new float[r.Width * r.Height * 3];
        for (int f = 0; f < r.Frames; f++)
        {
            ct.ThrowIfCancellationRequested();
            var (cx, cy, scale) = Camera(r, plate, f, shake);
            var (px, py, _) = Camera(r, plate, Math.Max(0, f - 1), shake);
            Array.Clear(rgb);
            for (int s = 0; s < r.BlurSamples; s++)
            {
                // Motion blur: average views spread back along this frame's motion.
                double k = r.BlurSamples == 1 ? 0 : r.BlurExposure * s / (r.BlurSamples - 1);
                Render(src, plate, cx - (cx - px) * k, cy - (cy - py) * k, scale, r.Roll, r.Width, r.Height, rgb);
            }
            var box = TurnedBox(cx, cy, plate.W * scale, plate.H * scale, r.Roll);
            var frame = new YuvFrame(r.Width, r.Height, f, (long)Math.Round(f * 1e9 / r.Fps));
            var occluder = Occluder(r, box, f);
            ToI420(rgb, 1f / r.BlurSamples, lut, frame, occluder);
            // The truth is the part of the plate a viewer can see: inside the frame and not behind the bar.
            var visible = box.Clip(r.Width, r.Height);
            if (occluder is { } ob)
                visible = r.Occlusion!.FromLeft ? BoxF.FromCorners(Math.Max(visible.X, ob.Right), visible.Y, visible.Right, visible.Bottom)
                                                : BoxF.FromCorners(visible.X, visible.Y, Math.Min(visible.Right, ob.X), visible.Bottom);
            if (visible.Area >= 0.25f * box.Area) truth.Add(new TruthBox(f, visible, 1));
            await writer.WriteAsync(frame, ct);
        }
        await writer.CompleteAsync();
        return truth;
    }

    /// <summary>Plate centre in the output and the output-pixels-per-source-pixel scale at frame f.</summary>
    private static (double Cx, double Cy, double Scale) Camera(ClipRecipe r, BoxF plate, int f, (double, double)[] shake)
    {
        double u = r.Frames <= 1 ? 0 : (double)f / (r.Frames - 1);
        double e = u * u * (3 - 2 * u);
        double h = r.StartPlateHeight + (r.EndPlateHeight - r.StartPlateHeight) * e;
        return (r.StartX + (r.EndX - r.StartX) * u + shake[f].Item1, r.StartY + (r.EndY - r.StartY) * u + shake[f].Item2, h / plate.H);
    }

    private static BoxF? Occluder(ClipRecipe r, BoxF plate, int f)
    {
        if (r.Occlusion is not { } o || f < o.FromFrame || f > o.ToFrame) return null;
        float w = (float)(plate.W * o.Share);
        return new BoxF(o.FromLeft ? plate.X - 2 : plate.Right - w, plate.Y - plate.H, w + 2, plate.H * 3);
    }

    /// <summary>The upright box around a w×h plate centred at (cx, cy) and turned by <paramref name="rollDegrees"/>: what a viewer
    /// must not read, so what the masks must cover.</summary>
    public static BoxF TurnedBox(double cx, double cy, double w, double h, double rollDegrees)
    {
        double a = rollDegrees * Math.PI / 180, c = Math.Abs(Math.Cos(a)), s = Math.Abs(Math.Sin(a));
        return BoxF.FromCenter((float)cx, (float)cy, (float)(c * w + s * h), (float)(s * w + c * h));
    }

    /// <summary>Adds a bilinear view of the photo (edge pixels repeated outside it) to the accumulator: the plate's centre at (cx, cy),
    /// the picture scaled by <paramref name="scale"/> and turned by <paramref name="rollDegrees"/> (clockwise on screen) about it.</summary>
    private static void Render(Photo src, BoxF plate, double cx, double cy, double scale, double rollDegrees, int width, int height, float[] acc)
    {
        double inv = 1 / scale;
        double a = rollDegrees * Math.PI / 180, cos = Math.Cos(a) * inv, sin = Math.Sin(a) * inv;
        var px = src.Rgba;
        int w = src.Width, h = src.Height;
        Parallel.For(0, height, y =>
        {
            double dy = y + 0.5 - cy;
            for (int x = 0; x < width; x++)
            {
                // Output pixel -> photo: undo the turn and the scale about the plate's centre (with no turn: plate + (p - c) / scale).
                double dx = x + 0.5 - cx, sx, sy;
                if (rollDegrees == 0)
                {
                    // Upright: exactly the arithmetic of the clips measured before turning existed (same pixels, same results).
                    sx = Math.Clamp(plate.CenterX - cx * inv + (x + 0.5) * inv - 0.5, 0, w - 1.001);
                    sy = Math.Clamp(plate.CenterY - cy * inv + (y + 0.5) * inv - 0.5, 0, h - 1.001);
                }
                else
                {
                    sx = Math.Clamp(plate.CenterX + cos * dx + sin * dy - 0.5, 0, w - 1.001);
                    sy = Math.Clamp(plate.CenterY - sin * dx + cos * dy - 0.5, 0, h - 1.001);
                }
                int x0 = (int)sx; double fx = sx - x0;
                int y0 = (int)sy; double fy = sy - y0;
                int a = (y0 * w + x0) * 4, b = a + 4, c = a + w * 4, d = c + 4;
                int o = (y * width + x) * 3;
                for (int ch = 0; ch < 3; ch++)
                {
                    double top = px[a + ch] + (px[b + ch] - px[a + ch]) * fx;
                    double bottom = px[c + ch] + (px[d + ch] - px[c + ch]) * fx;
                    acc[o + ch] += (float)(top + (bottom - top) * fy);
                }
            }
        });
    }

    private static void ToI420(float[] rgb, float norm, byte[] lut, YuvFrame frame, BoxF? occluder)
    {
        int w = frame.Width, h = frame.Height, cw = frame.ChromaWidth;
        var y = frame.Y; var u = frame.U; var v = frame.V;
        var occ = occluder;
        byte R(int i) => lut[(int)Math.Clamp(rgb[i] * norm, 0, 255)];
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++)
            {
                int o = (j * w + i) * 3;
                int r = R(o), g = R(o + 1), b = R(o + 2);
                if (occ is { } ob && i >= ob.X && i < ob.Right && j >= ob.Y && j < ob.Bottom) { r = 30; g = 30; b = 34; }
                y[j * w + i] = (byte)Math.Clamp(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16, 0, 255);
                if ((i & 1) == 0 && (j & 1) == 0)
                {
                    u[(j >> 1) * cw + (i >> 1)] = (byte)Math.Clamp(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128, 0, 255);
                    v[(j >> 1) * cw + (i >> 1)] = (byte)Math.Clamp(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128, 0, 255);
                }
            }
    }

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
