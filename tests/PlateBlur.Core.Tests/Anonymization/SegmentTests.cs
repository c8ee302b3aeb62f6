using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Anonymization;

public class SegmentTests(ModelFixture model) : IClassFixture<ModelFixture>
{
    [SharedFact]
    public async Task Two_segments_with_overlap_mask_the_cut_like_one_pass()
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
        static Dictionary<long, List<(Core.Detection.BoxF Box, bool Detected)>> Boxes(IEnumerable<FrameMasks> masks) =>
            masks.ToDictionary(m => m.Index, m => m.Boxes.Select(b => (new Core.Detection.BoxF(b.X, b.Y, b.W, b.H), b.Kind == "Detected")).ToList());
        var single = Boxes(whole.Masks);
        var split = Boxes(first.Masks.Concat(second.Masks));
        Assert.True(single.Count > 100, $"the clip has a plate in most frames ({single.Count})");
        // Around the cut, every detection masked by one run is masked by the other. (Not box for box: a track that began before a
        // segment's overlap - e.g. a second track on the same sign - exists in one run only, and boxes between detections, followed
        // in the picture, depend on where a track began.)
        for (long f = cut - 12; f < cut + 12; f++)
        {
            Assert.True(single.ContainsKey(f), $"frame {f} has a mask in the single pass");
            var one = single[f]; var two = split.GetValueOrDefault(f) ?? [];
            Assert.Contains(one, m => m.Detected);
            foreach (var m in one.Where(m => m.Detected))
                Assert.True(PlateBlur.Evaluation.Matcher.Coverage(m.Box, two.Select(b => b.Box).ToList()) >= 0.95, $"frame {f}: one-pass detection {m.Box} is not covered by the split masks");
            foreach (var m in two.Where(m => m.Detected))
                Assert.True(PlateBlur.Evaluation.Matcher.Coverage(m.Box, one.Select(b => b.Box).ToList()) >= 0.95, $"frame {f}: split detection {m.Box} is not covered by the one-pass masks");
        }
        Assert.Equal(single.Keys.Order(), split.Keys.Order());
    }
}
