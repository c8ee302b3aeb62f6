using PlateBlur.Core.Detection;
using PlateBlur.Evaluation;
using PlateBlur.Testing;

namespace PlateBlur.Evaluation.Tests;

public class FrameRateVariantTests
{
    [Fact]
    public void Labels_of_kept_frames_are_renumbered_and_labels_of_dropped_frames_are_left_out()
    {
        var boxes = new List<TruthBox>
        {
            new(0, new BoxF(1, 2, 30, 10), 1), new(1, new BoxF(5, 2, 30, 10), 1), new(2, new BoxF(9, 2, 30, 10), 1),
            new(3, new BoxF(13, 2, 30, 10), 1), new(3, new BoxF(400, 300, 12, 4), 7), new(5, new BoxF(0, 0, 8, 3), 7), new(6, new BoxF(20, 2, 30, 10), 1),
        };
        var kept = FrameRateResampler.Resample(boxes, 3);
        Assert.Equal(
            [(0, 1f, 1), (1, 13f, 1), (1, 400f, 7), (2, 20f, 1)],
            kept.Select(b => (b.Frame, b.Box.X, b.PlateId)).ToList());
        Assert.Equal(boxes, FrameRateResampler.Resample(boxes, 1));
        Assert.Equal(47, FrameRateResampler.KeptFrames(140, 3));
        Assert.Equal(107, FrameRateResampler.KeptFrames(319, 3));
    }

    [Theory]
    [InlineData(1, "1st")]
    [InlineData(2, "2nd")]
    [InlineData(3, "3rd")]
    [InlineData(6, "6th")]
    [InlineData(11, "11th")]
    [InlineData(12, "12th")]
    [InlineData(13, "13th")]
    [InlineData(22, "22nd")]
    [InlineData(101, "101st")]
    public void Steps_are_named_as_ordinals(int n, string expected) => Assert.Equal(expected, FrameRateResampler.Ordinal(n));

    [Fact]
    public void The_step_is_chosen_from_the_clips_real_rate()
    {
        var v = FrameRateVariants("native,10,every4");
        Assert.True(v[0].IsNative);
        Assert.Equal(1, v[0].Step(30));
        Assert.Equal(3, v[1].Step(30));
        Assert.Equal(6, v[1].Step(60));
        Assert.Equal(2, v[1].Step(18.09)); // the VFR toll clip: nominally 60 fps, really 18 frames a second
        Assert.Equal(1, v[1].Step(8));
        Assert.Equal(4, v[2].Step(30));
        Assert.Throws<FormatException>(() => FrameRateVariants("fast"));
        // 10 frames 100 ms apart, then 10 frames 50 ms apart: 19 steps over 1.4 s.
        var pts = Enumerable.Range(0, 20).Select(i => i < 10 ? i * 100_000_000L : 900_000_000L + (i - 9) * 50_000_000L).ToList();
        Assert.Equal(19 / 1.4, FrameRateResampler.AverageFps(pts), 6);
    }

    private static IReadOnlyList<RateVariant> FrameRateVariants(string s) => RateVariant.ParseList(s);

    [Fact]
    public async Task The_resampled_clip_keeps_every_kth_frame_at_its_exact_source_time()
    {
        using var dir = TestEnv.TempDir();
        var src = Clips.VariableFrameRate(dir.File("vfr.mp4"));
        var before = Clips.VideoPts(src);
        await FrameRateResampler.WriteAsync(src, dir.File("every3.mp4"), 3);
        var after = Clips.VideoPts(dir.File("every3.mp4"));
        var expected = before.Where((_, i) => i % 3 == 0).ToList();
        Assert.Equal(expected.Count, after.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], after[i], 3);
    }
}
