using PlateBlur.Core;
using PlateBlur.Core.Detection;
using PlateBlur.Evaluation;
using PlateBlur.Core.Reports;

namespace PlateBlur.Evaluation.Tests;

public class MatcherTests
{
    [Fact]
    public void Iou_of_half_overlapping_boxes_is_one_third()
    {
        Assert.Equal(1f / 3, new BoxF(0, 0, 10, 10).Iou(new BoxF(5, 0, 10, 10)), 5);
        Assert.Equal(0, new BoxF(0, 0, 10, 10).Iou(new BoxF(10, 0, 10, 10)));
    }

    [Fact]
    public void Coverage_counts_the_union_of_masks_once()
    {
        var truth = new BoxF(0, 0, 40, 10);
        Assert.Equal(0.5, Matcher.Coverage(truth, [new BoxF(0, 0, 20, 10)]), 3);
        // Two masks overlapping each other: 0..25 and 15..40 cover everything, not 125 %.
        Assert.Equal(1.0, Matcher.Coverage(truth, [new BoxF(0, -5, 25, 20), new BoxF(15, 0, 25, 10)]), 3);
        // 0..12 and 30..40: 55 %.
        Assert.Equal(0.55, Matcher.Coverage(truth, [new BoxF(0, 0, 12, 10), new BoxF(30, 0, 10, 10)]), 2);
        Assert.Equal(0, Matcher.Coverage(truth, []));
    }

    [Fact]
    public void Greedy_matching_takes_the_best_pair_first_and_each_box_once()
    {
        BoxF[] truths = [new(0, 0, 10, 10), new(4, 0, 10, 10)];
        BoxF[] dets = [new(3, 0, 10, 10)];          // IoU 0.538 with truth 0, 0.818 with truth 1
        Assert.Equal([-1, 0], Matcher.MatchGreedy(truths, dets, 0.5));
        BoxF[] two = [new(3, 0, 10, 10), new(0, 0, 10, 10)];
        Assert.Equal([1, 0], Matcher.MatchGreedy(truths, two, 0.5));
        Assert.Equal([-1, -1], Matcher.MatchGreedy(truths, [new BoxF(50, 50, 5, 5)], 0.5));
    }

    [Fact]
    public void Leaks_are_counted_per_plate_frame_with_the_longest_consecutive_run()
    {
        // Plate 1 in frames 0-5, masked except in frames 2, 3 and 5; plate 2 in frames 0-1, never masked.
        var truth = Enumerable.Range(0, 6).Select(f => new TruthBox(f, new BoxF(10, 10, 20, 10), 1))
            .Concat([new TruthBox(0, new BoxF(100, 10, 20, 10), 2), new TruthBox(1, new BoxF(100, 10, 20, 10), 2)]).ToList();
        var masked = new[] { 0, 1, 4 }.Select(f => new FrameMasks(f, f / 30.0, [new MaskRecord(8, 8, 24, 14, 1, "Detected")])).ToList();
        var report = new AnonymizationReport
        {
            Kind = "video", Input = Facts(), Model = new ModelFacts("m", "m.onnx", "", "", 640, ""), Options = new PlateBlurOptions(),
            Counts = new Counts(6, 3, 3, 3, 1), Timings = new StageTimings(0, 0, 0, 0, 0, 0, 0, 1), Frames = masked,
        };
        var s = VideoEvaluator.Score("c", truth, report);
        Assert.Equal(8, s.PlateFrames);
        Assert.Equal(5, s.Leaked);                 // frames 2, 3, 5 of plate 1 and both frames of plate 2
        Assert.Equal(2, s.LongestRunPerPlate[1]);
        Assert.Equal(2, s.LongestRunPerPlate[2]);
        Assert.Equal(0.5, s.MasksPerFrame, 3);
        Assert.Equal(2, s.LongestRunTall);        // both plates are 10 px tall
        Assert.Equal(8, s.TallPlateFrames);
        Assert.Equal(5, s.LeakedTall);
        Assert.Equal(5.0 / 8, s.LeakedTallShare, 6);
    }

    [Fact]
    public void The_longest_run_on_tall_plates_counts_only_frames_where_the_plate_is_at_least_10_px_tall()
    {
        // One plate, never masked, frames 0-5: 12 px tall in 0-1 and 4-5, 8 px tall in 2-3 (it drove away and came back).
        var truth = Enumerable.Range(0, 6).Select(f => new TruthBox(f, new BoxF(10, 10, 30, f is 2 or 3 ? 8 : 12), 1)).ToList();
        var report = new AnonymizationReport
        {
            Kind = "video", Input = Facts(), Model = new ModelFacts("m", "m.onnx", "", "", 640, ""), Options = new PlateBlurOptions(),
            Counts = new Counts(6, 0, 0, 0, 1), Timings = new StageTimings(0, 0, 0, 0, 0, 0, 0, 1), Frames = [],
        };
        var s = VideoEvaluator.Score("c", truth, report);
        Assert.Equal(6, s.LongestRun);
        Assert.Equal(2, s.LongestRunTall);        // 0-1 and 4-5: the small frames between break the run on tall plates
        Assert.Equal(4, s.TallPlateFrames);       // frames 0, 1, 4, 5
        Assert.Equal(4, s.LeakedTall);
        Assert.Equal(6, s.Leaked);
    }

    [Fact]
    public void A_clip_without_plates_scores_zero_leaked_and_still_counts_masks_and_area()
    {
        // A negative clip: its boxes file holds only the header lines. 4 frames of 64x64; frames 1 and 2 carry false masks.
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, ["# clip: empty.mp4  frames: 4  size: 64x64", "# frame x y w h id"]);
        var truth = VideoEvaluator.ReadBoxes(path);
        File.Delete(path);
        Assert.Empty(truth);
        var masked = new[] { 1, 2 }.Select(f => new FrameMasks(f, f / 30.0, [new MaskRecord(0, 0, 32, 32, 1, "Extended")])).ToList();
        var report = new AnonymizationReport
        {
            Kind = "video", Input = Facts(), Model = new ModelFacts("m", "m.onnx", "", "", 640, ""), Options = new PlateBlurOptions(),
            Counts = new Counts(4, 2, 2, 1, 1), Timings = new StageTimings(0, 0, 0, 0, 0, 0, 0, 1), Frames = masked,
        };
        var s = VideoEvaluator.Score("empty", truth, report);
        Assert.Equal(0, s.Plates);
        Assert.Equal(0, s.PlateFrames);
        Assert.Equal(0, s.Leaked);
        Assert.Equal(0, s.LeakedShare);            // not NaN: 0 of 0 plate-frames
        Assert.Equal(0, s.LongestRun);
        Assert.Equal(0.5, s.MasksPerFrame, 3);     // 2 masks over 4 frames
        Assert.Equal(0.125, s.MaskedAreaShare, 3); // a quarter of the frame in 2 of 4 frames
    }

    private static MediaFacts Facts() => new("x", 0, "mp4", 0, 1, "h264", 64, 64, 0, "30/1", 6, false, []);

    [Fact]
    public void Box_files_without_ids_get_ids_by_linking_frames()
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, ["# test", "0 10 10 20 10", "0 200 10 20 10", "1 12 10 20 10", "1 203 11 20 10", "5 12 10 20 10"]);
        var boxes = VideoEvaluator.ReadBoxes(path);
        File.Delete(path);
        Assert.Equal(boxes[0].PlateId, boxes[2].PlateId);
        Assert.Equal(boxes[1].PlateId, boxes[3].PlateId);
        Assert.NotEqual(boxes[0].PlateId, boxes[1].PlateId);
        Assert.NotEqual(boxes[0].PlateId, boxes[4].PlateId); // a gap of four frames starts a new plate
    }
}
