using PlateBlur.Core.Detection;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Tests.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

public class TrackerTests
{
    private static Detection At(float x, float y = 100) => new(new BoxF(x, y, 40, 12), 0.8f);

    /// <summary>Feeds frames 0..n-1 where the plate moves 5 px a frame; frames in <paramref name="dropped"/> have no detection.</summary>
    private static Tracker Run(int n, ISet<int> dropped, TrackingOptions? o = null, int start = 0)
    {
        var t = new Tracker(o ?? new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, CoastSeconds: 0 / 30.0));
        for (int f = 0; f < n; f++)
            t.Add(f, f >= start && !dropped.Contains(f) ? [At(100 + 5 * f)] : []);
        return t;
    }

    [Fact]
    public void Gap_of_three_frames_is_interpolated()
    {
        var t = Run(20, new HashSet<int> { 8, 9, 10 });
        for (int f = 8; f <= 10; f++)
        {
            var m = Assert.Single(t.MasksFor(f));
            Assert.Equal(MaskKind.Interpolated, m.Kind);
            Assert.Equal(100 + 5 * f + 20, m.Box.CenterX, 3); // linear motion is recovered exactly...
            Assert.Equal(40 * 1.3f, m.Box.W, 3);             // ...and the unconfirmed box is grown by 15 % of its width per side
            Assert.Equal(12 + 0.3f * 40, m.Box.H, 3);
        }
        Assert.Equal(1, t.TracksStarted);
    }

    [Fact]
    public void A_shaking_plate_stays_covered_between_detections_only_with_the_uncertainty_margin()
    {
        // Detections every third frame (tiles searched in turn); the camera shakes the plate ±5 px vertically in between.
        static float Shake(int f) => f % 2 == 0 ? 5 : -5;
        foreach (var (pad, expectCovered) in new[] { (0f, false), (0.15f, true) })
        {
            var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, UncertainPad: pad, CoastSeconds: 0 / 30.0));
            for (int f = 0; f < 12; f++) t.Add(f, f % 3 == 0 ? [new Detection(new BoxF(100 + 4 * f, 100 + Shake(f), 40, 12), 0.8f)] : []);
            bool all = Enumerable.Range(1, 8).Where(f => f % 3 != 0).All(f =>
                PlateBlur.Evaluation.Matcher.Coverage(new BoxF(100 + 4 * f, 100 + Shake(f), 40, 12), t.MasksFor(f).Select(m => m.Box).ToList()) >= 0.9);
            Assert.Equal(expectCovered, all);
        }
    }

    [Fact]
    public void Gap_longer_than_the_limit_is_not_bridged_but_both_ends_are_extended()
    {
        var t = Run(30, new HashSet<int>(Enumerable.Range(8, 8))); // frames 8..15 missing: 8 > 3
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(8)).Kind);
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(9)).Kind);
        Assert.Empty(t.MasksFor(10));
        Assert.Empty(t.MasksFor(13));
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(14)).Kind);
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(15)).Kind);
        // The extension follows the motion: at frame 9 the box reaches where the plate would be.
        var m9 = t.MasksFor(9)[0].Box;
        Assert.True(m9.Right >= 100 + 5 * 9 + 40, $"extension {m9} should cover the plate at x={100 + 5 * 9}");
    }

    [Fact]
    public void Track_is_extended_before_its_first_and_after_its_last_detection()
    {
        var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, CoastSeconds: 0 / 30.0));
        for (int f = 0; f < 20; f++) t.Add(f, f is >= 5 and <= 12 ? [At(100 + 5 * f)] : []);
        Assert.Empty(t.MasksFor(2));
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(3)).Kind);
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(4)).Kind);
        Assert.Equal(MaskKind.Extended, Assert.Single(t.MasksFor(14)).Kind);
        Assert.Empty(t.MasksFor(15));
        // Frame 4 extends backwards along the motion: it covers where the plate was (x = 120).
        var b = t.MasksFor(4)[0].Box;
        Assert.True(b.X <= 120 && b.Right >= 160, $"{b}");
    }

    [Fact]
    public void A_single_detection_is_enough_to_mask()
    {
        var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 0 / 30.0));
        for (int f = 0; f < 10; f++) t.Add(f, f == 4 ? [At(100)] : []);
        Assert.Equal(MaskKind.Detected, Assert.Single(t.MasksFor(4)).Kind);
        Assert.Empty(t.MasksFor(3));
        Assert.Empty(t.MasksFor(5));
    }

    [Fact]
    public void Two_plates_keep_their_own_tracks_through_dropped_frames()
    {
        var t = new Tracker(new TrackingOptions(GapSeconds: 4 / 30.0, ExtendSeconds: 1 / 30.0, CoastSeconds: 0 / 30.0));
        var rng = new Random(7);
        for (int f = 0; f < 40; f++)
        {
            var dets = new List<Detection>();
            if (rng.NextDouble() > 0.3) dets.Add(At(100 + 4 * f, 100));
            if (rng.NextDouble() > 0.3) dets.Add(At(600 - 3 * f, 300));
            t.Add(f, dets);
        }
        Assert.Equal(2, t.TracksStarted);
        for (int f = 1; f < 39; f++) Assert.Equal(2, t.MasksFor(f).Select(m => m.TrackId).Distinct().Count());
    }

    [Fact]
    public void A_confirmed_plate_coasts_through_a_long_miss_an_unconfirmed_detection_does_not()
    {
        var o = new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, CoastSeconds: 20 / 30.0, ConfirmHits: 3, ConfirmScore: 0.6f);
        // Plate A: 5 clear detections (frames 0-4), then lost for a second. Plate B: 5 detections, none clear (a false alarm's kind).
        // Plate C: 2 clear detections.
        var t = new Tracker(o);
        for (int f = 0; f < 40; f++)
        {
            var dets = new List<Detection>();
            if (f < 5) { dets.Add(new Detection(new BoxF(100 + 3 * f, 100, 40, 12), 0.8f)); dets.Add(new Detection(new BoxF(600, 100, 40, 12), 0.45f)); }
            if (f < 2) dets.Add(new Detection(new BoxF(300, 400, 40, 12), 0.8f));
            t.Add(f, dets);
        }
        Assert.Equal(3, t.TracksStarted);
        int[] Tracks(int f) => t.MasksFor(f).Select(m => m.TrackId).OrderBy(i => i).ToArray();
        Assert.Equal([1, 2], Tracks(6));       // all extended 2 frames
        Assert.Equal([1], Tracks(7));          // only the confirmed plate goes on...
        Assert.Equal([1], Tracks(24));         // ...for 20 frames after its last detection
        Assert.Empty(Tracks(25));
        // It coasts along its motion: at frame 24 the mask still covers where the plate has moved (3 px a frame).
        var plate = new BoxF(100 + 3 * 24, 100, 40, 12);
        Assert.True(PlateBlur.Evaluation.Matcher.Coverage(plate, t.MasksFor(24).Select(m => m.Box).ToList()) >= 0.9);
    }

    [Fact]
    public void Velocity_is_fitted_to_several_detections_so_one_shaky_box_does_not_throw_the_extension_off()
    {
        // The plate moves 5 px a frame to the right; each box jumps ±2.5 px up and down (camera shake). Detections from frame 10.
        static BoxF Plate(int f) => new(100 + 5 * f, 200 + (f % 2 == 0 ? 2.5f : -2.5f), 40, 12);
        var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 6 / 30.0, CoastSeconds: 0 / 30.0));
        for (int f = 0; f < 30; f++) t.Add(f, f >= 10 ? [new Detection(Plate(f), 0.8f)] : []);
        var v = t.Tracks[0].Velocity(atStart: true);
        Assert.InRange(v.X, 4.5f, 5.5f);
        Assert.InRange(v.Y, -1.5f, 1.5f); // two boxes alone would give -5 px a frame
        for (int f = 4; f < 10; f++)
            Assert.True(PlateBlur.Evaluation.Matcher.Coverage(Plate(f), t.MasksFor(f).Select(m => m.Box).ToList()) >= 0.9, $"frame {f}");
    }

    [Fact]
    public void A_small_box_on_a_large_plate_does_not_take_over_its_track()
    {
        var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, CoastSeconds: 0 / 30.0));
        for (int f = 0; f < 6; f++) t.Add(f, [new Detection(new BoxF(100 + 4 * f, 100, 200, 50), 0.8f)]);
        // A 30x25 box on the plate's characters (1/13 of its area) while the plate itself is missed.
        t.Add(6, [new Detection(new BoxF(190, 110, 30, 25), 0.5f)]);
        Assert.Equal(2, t.TracksStarted);
        Assert.Equal(5, t.Tracks[0].Last);
        Assert.Single(t.Tracks[1].Hits);
    }

    [Fact]
    public void A_plate_seen_in_part_is_masked_whole()
    {
        var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, CoastSeconds: 0 / 30.0, ConfirmHits: 3));
        static BoxF Plate(int f) => new(100 + 4 * f, 100, 200, 50);
        for (int f = 0; f < 12; f++)
        {
            var p = Plate(f);
            // Frames 6-8: the left half of the plate is hidden and the detector boxes the right half only.
            var seen = f is >= 6 and <= 8 ? new BoxF(p.X + 100, p.Y, 100, 50) : p;
            t.Add(f, [new Detection(seen, 0.8f)]);
        }
        Assert.Equal(1, t.TracksStarted);
        for (int f = 6; f <= 8; f++)
        {
            var m = Assert.Single(t.MasksFor(f));
            Assert.Equal(MaskKind.Detected, m.Kind);
            Assert.True(PlateBlur.Evaluation.Matcher.Coverage(Plate(f), [m.Box]) >= 0.99, $"frame {f}: {m.Box}");
        }
    }

    [Fact]
    public void A_weak_detection_of_a_confirmed_plate_gets_the_uncertainty_margin_a_weak_false_alarm_does_not()
    {
        var t = new Tracker(new TrackingOptions(GapSeconds: 3 / 30.0, ExtendSeconds: 2 / 30.0, CoastSeconds: 0 / 30.0, ConfirmHits: 3, ConfirmScore: 0.6f));
        for (int f = 0; f < 8; f++)
            t.Add(f, [new Detection(new BoxF(100 + 4 * f, 100, 40, 12), f < 5 ? 0.8f : 0.35f), new Detection(new BoxF(600, 300, 40, 12), 0.35f)]);
        var plate = t.MasksFor(6).Single(m => m.TrackId == 1);
        Assert.Equal(MaskKind.Detected, plate.Kind);
        Assert.Equal(40 * 1.3f, plate.Box.W, 3); // grown by 15 % of the width per side
        Assert.Equal(new BoxF(100 + 4 * 3, 100, 40, 12), t.MasksFor(3).Single(m => m.TrackId == 1).Box); // a clear detection is not
        Assert.Equal(new BoxF(600, 300, 40, 12), t.MasksFor(6).Single(m => m.TrackId == 2).Box); // never confirmed: as detected
    }

    [Fact]
    public void Frames_must_be_added_in_order()
    {
        var t = new Tracker(new TrackingOptions());
        t.Add(5, []);
        Assert.Throws<ArgumentException>(() => t.Add(5, []));
    }
}
