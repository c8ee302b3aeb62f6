using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Anonymization;

public class SegmentTests(ModelFixture model) : IClassFixture<ModelFixture>
{
    [SharedFact]
    public async Task Two_segments_with_overlap_mask_the_cut_exactly_like_one_pass()
    {
        using var dir = TestEnv.TempDir();
        var src = TestEnv.Shared("samples", "uk_rain_street.mp4");
        var info = await MediaProbe.ProbeAsync(src);
        var timeline = await FrameTimeline.ScanAsync(src, info.Video!);
        var a = model.Anonymizer;
        var enc = new EncodeSettings(Preset: "ultrafast");
        int n = timeline.FrameCount, cut = 70;

        var whole = await SegmentProcessor.ProcessAsync(info, timeline, 0, n, 0, dir.File("whole.mp4"), a.Scanner, a.Options, enc);
        var first = await SegmentProcessor.ProcessAsync(info, timeline, 0, cut, a.Options.SegmentOverlapFrames, dir.File("s1.mp4"), a.Scanner, a.Options, enc);
        var second = await SegmentProcessor.ProcessAsync(info, timeline, cut, n, a.Options.SegmentOverlapFrames, dir.File("s2.mp4"), a.Scanner, a.Options, enc);

        Assert.Equal(cut, first.Frames);
        Assert.Equal(n - cut, second.Frames);
        Assert.Equal(cut, Clips.VideoPts(dir.File("s1.mp4")).Count);
        Assert.Equal(n - cut, Clips.VideoPts(dir.File("s2.mp4")).Count);
        static Dictionary<long, string> Boxes(IEnumerable<FrameMasks> masks) =>
            masks.ToDictionary(m => m.Index, m => string.Join(";", m.Boxes.Select(b => $"{b.X},{b.Y},{b.W},{b.H}").Order()));
        var single = Boxes(whole.Masks);
        var split = Boxes(first.Masks.Concat(second.Masks));
        Assert.True(single.Count > 100, $"the clip has a plate in most frames ({single.Count})");
        for (long f = cut - 12; f < cut + 12; f++)
        {
            Assert.True(single.ContainsKey(f), $"frame {f} has a mask in the single pass");
            Assert.Equal(single[f], split.GetValueOrDefault(f));
        }
        Assert.Equal(single.Count, split.Count);
    }
}
