using PlateBlur.Core.Detection;
using PlateBlur.Evaluation;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Tests.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>A synthetic handheld camera panning over a textured street with a parked plate: the plate moves in the picture
/// (accelerating pan plus shake), the detector sees it only now and then, and the masks must stay on it at any frame rate.</summary>
public class PanningCameraTests
{
    private const int W = 640, H = 360, WorldW = 1400, WorldH = 460;
    private const int PlateW = 48, PlateH = 14;
    private static readonly byte[] World = MakeWorld();

    /// <summary>Smooth random texture (asphalt, walls) with a white plate with dark characters at world (580, 260).</summary>
    private static byte[] MakeWorld()
    {
        var rng = new Random(20261130);
        var noise = new byte[WorldW * WorldH];
        rng.NextBytes(noise);
        var world = new byte[WorldW * WorldH];
        const int k = 3; // box blur radius: texture of a few pixels, like a compressed street scene
        for (int y = 0; y < WorldH; y++)
            for (int x = 0; x < WorldW; x++)
            {
                int sum = 0, n = 0;
                for (int dy = -k; dy <= k; dy++)
                    for (int dx = -k; dx <= k; dx++)
                    {
                        int yy = Math.Clamp(y + dy, 0, WorldH - 1), xx = Math.Clamp(x + dx, 0, WorldW - 1);
                        sum += noise[yy * WorldW + xx]; n++;
                    }
                world[y * WorldW + x] = (byte)Math.Clamp(60 + (sum / n - 128) * 3, 0, 255);
            }
        for (int y = 0; y < PlateH; y++)
            for (int x = 0; x < PlateW; x++)
            {
                bool character = y is >= 3 and < PlateH - 3 && x is >= 4 and < PlateW - 4 && (x - 4) % 6 < 3;
                world[(PlateWorldY + y) * WorldW + PlateWorldX + x] = (byte)(character ? 30 : 225);
            }
        return world;
    }

    private const int PlateWorldX = 580, PlateWorldY = 260;

    /// <summary>The camera's top-left corner in the world at time <paramref name="t"/> (s): an accelerating pan with a shake.</summary>
    private static (int X, int Y) Camera(double t) =>
        ((int)Math.Round(150 * t + 60 * t * t), (int)Math.Round(50 + 6 * Math.Sin(2 * Math.PI * 1.5 * t)));

    private static BoxF PlateAt(double t)
    {
        var (cx, cy) = Camera(t);
        return new BoxF(PlateWorldX - cx, PlateWorldY - cy, PlateW, PlateH);
    }

    /// <summary>The camera's view at <paramref name="t"/>; <paramref name="occluded"/>: a flat grey panel (a van's side, a pedestrian's
    /// coat) stands in front of the plate and its surroundings.</summary>
    private static LumaPyramid Frame(double t, bool occluded = false)
    {
        var (cx, cy) = Camera(t);
        var y = new byte[W * H];
        for (int r = 0; r < H; r++) World.AsSpan((r + cy) * WorldW + cx, W).CopyTo(y.AsSpan(r * W, W));
        if (occluded)
            for (int r = PlateWorldY - 20 - cy; r < PlateWorldY + PlateH + 20 - cy; r++)
                y.AsSpan(r * W + PlateWorldX - 30 - cx, PlateW + 60).Fill(128);
        return new LumaPyramid(y, W, H, W);
    }

    /// <summary>The detector finds the plate in [0.2, 0.4) s, [0.7, 0.8) s and [1.0, 1.1) s only: gaps of 0.3 and 0.2 s, then it is lost.</summary>
    private static bool Detected(double t) => t is >= 0.2 and < 0.4 - 1e-9 or >= 0.7 and < 0.8 - 1e-9 or >= 1.0 and < 1.1 - 1e-9;

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(60)]
    public void Masks_stay_on_the_plate_of_a_panning_camera_between_sparse_detections(int fps)
    {
        var options = new TrackingOptions(ConfirmHits: 2);
        using var tracker = new Tracker(options);
        var rng = new Random(fps);
        int frames = 2 * fps;
        for (int f = 0; f < frames; f++)
        {
            double t = (double)f / fps;
            var plate = PlateAt(t);
            var found = Detected(t) ? new List<Detection> { new(plate.Offset(rng.Next(-1, 2), rng.Next(-1, 2)), 0.8f) } : [];
            tracker.Add(f, (long)Math.Round(t * 1e9), found, Frame(t));
        }
        double lastHit = Enumerable.Range(0, frames).Select(f => (double)f / fps).Last(Detected);
        int checkedFrames = 0;
        for (int f = 0; f < frames; f++)
        {
            double t = (double)f / fps;
            if (t > lastHit + options.CoastSeconds) break;
            var plate = PlateAt(t);
            var masks = tracker.MasksFor(f).Select(m => m.Box).ToList();
            // From 0.2 s before the first detection (the extension) to the end of the coast after the last one, the plate is covered...
            Assert.True(Matcher.Coverage(plate, masks) >= 0.9, $"{fps} fps, frame {f} ({t:0.000} s): plate {plate} masks {string.Join(' ', masks)}");
            // ...by masks no larger than the plate with the uncertainty margin (no mask sweeping the street).
            foreach (var m in masks)
                Assert.True(m.W <= PlateW * (1 + 2 * options.UncertainPad) + 2 && m.H <= PlateH + 2 * options.UncertainPad * PlateW + 2, $"{fps} fps, frame {f}: mask {m} too large");
            checkedFrames++;
        }
        Assert.True(checkedFrames >= (int)(1.5 * fps), $"{checkedFrames} frames checked");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    public void A_mask_whose_plate_is_hidden_stays_where_it_was_last_seen_moving_with_the_camera(int fps)
    {
        // Detected in [0.2, 0.6) s; from 0.7 s a flat panel hides the plate: following finds nothing like it, and the mask must
        // neither fly off nor stop in the picture while the camera pans on (it moves with the camera, joined with the velocity guess up
        // to one plate size away). It is checked until the coast ends.
        var options = new TrackingOptions(ConfirmHits: 2);
        using var tracker = new Tracker(options);
        int frames = 2 * fps;
        for (int f = 0; f < frames; f++)
        {
            double t = (double)f / fps;
            var found = t is >= 0.2 and < 0.6 - 1e-9 ? new List<Detection> { new(PlateAt(t), 0.8f) } : [];
            tracker.Add(f, (long)Math.Round(t * 1e9), found, Frame(t, occluded: t >= 0.7 - 1e-9));
        }
        for (int f = (int)Math.Round(0.7 * fps); f < frames && (double)f / fps <= 0.6 - 1.0 / fps + options.CoastSeconds; f++)
        {
            var plate = PlateAt((double)f / fps);
            var m = Assert.Single(tracker.MasksFor(f));
            Assert.Equal(MaskKind.Extended, m.Kind);
            Assert.True(Matcher.Coverage(plate, [m.Box]) >= 0.9, $"{fps} fps, frame {f}: hidden plate {plate}, mask {m.Box}");
            // Around the last place seen, joined with the velocity guess only up to one plate size away: at most about twice the plate.
            float w = 2 * PlateW * (1 + 2 * options.UncertainPad) + 2, h = PlateH + PlateW / 2f + 2 * options.UncertainPad * 2 * PlateW + 2;
            Assert.True(m.Box.W <= w && m.Box.H <= h, $"{fps} fps, frame {f}: mask {m.Box} larger than {w:0} x {h:0}");
        }
    }

    [Fact]
    public void The_camera_motion_is_the_backgrounds_motion()
    {
        foreach (var (a, b) in new[] { (0.5, 0.6), (1.0, 1.0333), (1.5, 1.6) })
        {
            using var from = Frame(a);
            using var to = Frame(b, occluded: true); // a flat panel appears in one part of the picture: the median ignores it
            var motion = ImageMotion.Global(from, to);
            var (ax, ay) = Camera(a); var (bx, by) = Camera(b);
            Assert.Equal((ax - bx, ay - by), ((int)motion.X, (int)motion.Y));
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(60)]
    public void Durations_are_the_same_in_seconds_at_any_frame_rate(int fps)
    {
        // Detected in [0, 0.1) s and [0.4, 0.5) s: a gap of at most 0.4 s at every rate, bridged. Masked until 0.2 s after the last hit.
        using var tracker = new Tracker(new TrackingOptions(ConfirmHits: 100));
        var box = new BoxF(100, 100, 40, 12);
        int frames = fps;
        for (int f = 0; f < frames; f++)
        {
            double t = (double)f / fps;
            bool seen = t < 0.1 - 1e-9 || t is >= 0.4 - 1e-9 and < 0.5 - 1e-9;
            tracker.Add(f, (long)Math.Round(t * 1e9), seen ? [new Detection(box, 0.8f)] : []);
        }
        Assert.Equal(1, tracker.TracksStarted);
        for (int f = 0; f < frames; f++)
        {
            double t = (double)f / fps;
            bool expectMask = t <= 0.5 - 1.0 / fps + 0.2 + 1e-6;
            var masks = tracker.MasksFor(f);
            Assert.Equal(expectMask, masks.Count == 1);
            if (t is > 0.1 and < 0.4 - 1e-9) Assert.Equal(MaskKind.Interpolated, masks[0].Kind);
        }
        Assert.Equal(new TrackingOptions().DelayFrames((long)(1e9 / fps)), (int)(2.0 / 3 * fps) + 1);
    }
}
