using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Detection;
using PlateBlur.Evaluation;
using PlateBlur.Core.Media;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Core.Tests.Detection;

/// <summary>Detection scheduled instead of repeated (issue: half the speed of a plain re-encode): key frames by time for the vehicle
/// model, its crops and the coarse pass, and model inputs only as large as their content.</summary>
public class SchedulingTests(ModelFixture model, ITestOutputHelper log) : IClassFixture<ModelFixture>
{
    [Fact]
    public void A_dynamic_shape_input_is_only_as_large_as_its_content_plus_the_context_margin()
    {
        // 1280x720 into an 800 model: scale 0.625, content 800x450; with 32 px of margin on each side and sides rounded up to 32
        // the input is 800x544 (68 % of the square) instead of 800x800.
        var lb = Letterbox.For(new BoxF(0, 0, 1280, 720), 800, centered: true, float.MaxValue, align: 32, margin: 32);
        Assert.Equal(0.625f, lb.Scale);
        Assert.Equal((800, 544), (lb.Width, lb.Height));
        Assert.Equal(47, lb.PadY);
        Assert.Equal(new PointF(0, 0), lb.ToSource(0, 47));
        Assert.Equal(new PointF(1280, 720), lb.ToSource(800, 497));
        // The coarse pass (1280 px shrunk to 160): 160x90 content centred in a 320x320 input rather than 800x800 (16 %).
        var coarse = Letterbox.For(new BoxF(0, 0, 1280, 720), 800, centered: true, 160f / 1280, align: 32, margin: 32,
            minSide: FrameScanner.CoarseInput(160));
        Assert.Equal((320, 320), (coarse.Width, coarse.Height));
        Assert.Equal((80, 115), ((int)coarse.PadX, (int)coarse.PadY));
        // Fixed-shape models keep the square.
        var square = Letterbox.For(new BoxF(0, 0, 1280, 720), 800, centered: true);
        Assert.Equal((800, 800), (square.Width, square.Height));
    }

    [SharedFact]
    public async Task The_coarse_pass_does_not_take_a_busy_picture_for_one_plate()
    {
        // ffmpeg's testsrc2 at 1080p: with a thin margin around the coarse pass's 160-px picture, the network took the whole
        // picture for a plate (a full-frame mask on every frame, 42 % of the time spent blurring it, 1 GB of memory).
        var a = model.Anonymizer;
        using var dir = TestEnv.TempDir();
        string clip = dir.File("testsrc.mp4");
        TestEnv.Ffmpeg($"-f lavfi -i testsrc2=s=1920x1080:r=30:d=1 -c:v libx264 -preset veryfast -pix_fmt yuv420p \"{clip}\"");
        var info = await MediaProbe.ProbeAsync(clip);
        var timeline = await FrameTimeline.ScanAsync(clip, info.Video!);
        var result = await SegmentProcessor.ProcessAsync(info, timeline, 0, timeline.FrameCount, 0, dir.File("out.mp4"), a.Scanner, a.Options,
            new EncodeSettings(Preset: "ultrafast"));
        var largest = result.Masks.SelectMany(m => m.Boxes).Select(b => b.W * b.H / (1920f * 1080)).DefaultIfEmpty(0).Max();
        log.WriteLine($"{result.Masks.Sum(m => m.Boxes.Count)} masks in {result.Frames} frames; the largest covers {largest:P1} of the picture");
        Assert.True(largest < 0.25f, $"a mask covers {largest:P1} of the test pattern");
    }

    [Theory]
    [InlineData(30.0, 0.2, 6)]
    [InlineData(25.0, 0.2, 5)]
    [InlineData(60.0, 0.2, 12)]
    [InlineData(29.97, 0.2, 6)]
    [InlineData(10.0, 0.2, 2)]
    [InlineData(4.0, 0.2, 1)]
    [InlineData(30.0, 0.0, 1)]
    public void Key_frames_are_at_most_the_key_interval_apart(double fps, double keySeconds, int expectedEvery)
    {
        var schedule = new KeySchedule((long)Math.Round(keySeconds * 1e9));
        var keys = Enumerable.Range(0, 120).Where(i => schedule.IsKey((long)Math.Round(i * 1e9 / fps))).ToList();
        Assert.Equal(0, keys[0]);
        var gaps = keys.Zip(keys.Skip(1), (a, b) => b - a).Distinct().ToList();
        Assert.Equal([expectedEvery], gaps);
    }

    [Fact]
    public void Key_frames_follow_the_streams_clock_on_irregular_timestamps_and_agree_between_segments()
    {
        // A variable-rate stream: 30 fps, then a stretch at 12 fps, then 60 fps. Key frames are at most 0.2 s plus one frame step
        // apart, one per 0.2 s slot of the stream's clock.
        var times = new List<long>();
        long t = 0;
        for (int i = 0; i < 60; i++) { times.Add(t); t += 33_333_333; }
        for (int i = 0; i < 24; i++) { times.Add(t); t += 83_333_333; }
        for (int i = 0; i < 120; i++) { times.Add(t); t += 16_666_667; }
        var schedule = new KeySchedule(200_000_000);
        var keys = times.Where(schedule.IsKey).ToList();
        for (int i = 1; i < keys.Count; i++)
        {
            int at = times.IndexOf(keys[i]);
            long step = times[at] - times[at - 1];
            Assert.True(keys[i] - keys[i - 1] <= 200_000_000 + step, $"key frames {keys[i - 1] / 1e9:F3} s and {keys[i] / 1e9:F3} s are {(keys[i] - keys[i - 1]) / 1e6:F0} ms apart");
        }
        Assert.Equal((int)(times[^1] / 200_000_000) + 1, keys.Count);
        // A segment that starts reading at frame 70 (its overlap) agrees with the single pass from its second frame on.
        var again = new KeySchedule(200_000_000);
        var segmentKeys = times.Skip(70).Where(again.IsKey).ToList();
        Assert.Equal(keys.Where(k => k > times[70]), segmentKeys.Skip(1));
    }

    [SharedTheory]
    [InlineData(0, 24)]
    [InlineData(0, 48)]
    [InlineData(3, 32)]
    public async Task A_plate_that_appears_between_key_frames_is_covered_from_its_first_frame(int photoIndex, int plateWidth)
    {
        // A grey 1280x720 picture at 30 fps; from frame 1 (just after key frame 0, the worst case: the next key frame is frame 6)
        // a real photo shows a plate <plateWidth> px wide. Bound: the plate is detected at the latest on the next key frame
        // (0.2 s; the whole frame and the tiles in turn search every frame before that), and every frame from its appearance on
        // is masked (the backward extension covers the frames before the first detection).
        var a = model.Anonymizer;
        var p = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[photoIndex];
        var loaded = Photo.Load(p.Image);
        var (iw, ih) = (loaded.Width, loaded.Height);
        double s = plateWidth / p.Plate.W;
        int pw = (int)Math.Round(iw * s / 2) * 2, ph = (int)Math.Round(ih * s / 2) * 2;
        int x0 = 700, y0 = 300 - ph / 4;
        using var dir = TestEnv.TempDir();
        string clip = dir.File("enter.mp4");
        TestEnv.Ffmpeg($"-f lavfi -i color=c=0x707070:s=1280x720:r=30:d=2 -i \"{p.Image}\" " +
            $"-filter_complex \"[1:v]scale={pw}:{ph}[p];[0:v][p]overlay={x0}:{y0}:enable='gte(n,1)'[v]\" -map \"[v]\" " +
            "-c:v libx264 -preset veryfast -crf 12 -pix_fmt yuv420p \"" + clip + "\"");
        var plate = new BoxF((float)(x0 + p.Plate.X * pw / iw), (float)(y0 + p.Plate.Y * ph / ih), (float)(p.Plate.W * pw / iw), (float)(p.Plate.H * ph / ih));

        var info = await MediaProbe.ProbeAsync(clip);
        var timeline = await FrameTimeline.ScanAsync(clip, info.Video!);
        Assert.Equal(0.2, a.Options.EffectiveKeySeconds);
        var result = await SegmentProcessor.ProcessAsync(info, timeline, 0, timeline.FrameCount, 0, dir.File("out.mp4"), a.Scanner, a.Options,
            new EncodeSettings(Preset: "ultrafast"));
        // The report's boxes are what was covered (the plate plus the redaction padding).
        var byFrame = result.Masks.ToDictionary(m => m.Index, m => m.Boxes.Select(b => (Box: new BoxF(b.X, b.Y, b.W, b.H), b.Kind)).ToList());
        long firstDetected = byFrame.Where(kv => kv.Value.Any(b => b.Kind == "Detected" && Matcher.Coverage(plate, [b.Box]) >= Matcher.CoveredShare)).Select(kv => kv.Key).DefaultIfEmpty(-1).Min();
        log.WriteLine($"{Path.GetFileName(p.Image)}, plate {plate.W:F0}x{plate.H:F0} px from frame 1: first detected in frame {firstDetected}, inferences/frame {(double)result.Inferences / result.Frames:F2}");
        Assert.InRange(firstDetected, 1, 7);
        var leaked = Enumerable.Range(1, timeline.FrameCount - 1)
            .Where(f => Matcher.Coverage(plate, (byFrame.GetValueOrDefault(f) ?? []).Select(b => b.Box).ToList()) < Matcher.CoveredShare)
            .ToList();
        Assert.True(leaked.Count == 0, $"plate not covered in frames {string.Join(", ", leaked)}");
    }

    [SharedFact]
    public async Task With_a_scan_schedule_half_the_frames_of_a_30fps_clip_are_searched_and_the_tracker_masks_the_frames_between()
    {
        using var dir = TestEnv.TempDir();
        string clip = dir.File("uk2s.mp4");
        TestEnv.Ffmpeg($"-i \"{TestEnv.Shared("samples", "uk_rain_street.mp4")}\" -t 2 -c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p -an \"{clip}\"");
        var info = await MediaProbe.ProbeAsync(clip);
        var timeline = await FrameTimeline.ScanAsync(clip, info.Video!);
        async Task<(SegmentResult R, HashSet<long> Masked)> Run(double scanSeconds)
        {
            using var a = await Anonymizer.CreateAsync(new PlateBlurOptions { Threads = 2, ScanSeconds = scanSeconds }, TestEnv.Models);
            var r = await SegmentProcessor.ProcessAsync(info, timeline, 0, timeline.FrameCount, 0, dir.File($"out-{scanSeconds}.mp4"), a.Scanner, a.Options,
                new EncodeSettings(Preset: "ultrafast"));
            return (r, r.Masks.Where(m => m.Boxes.Count > 0).Select(m => m.Index).ToHashSet());
        }
        var every = await Run(0);
        var slots = await Run(1.0 / 15);
        double share = (double)slots.R.Searched / every.R.Searched;
        log.WriteLine($"{timeline.FrameCount} frames: searched {every.R.Searched} / {slots.R.Searched} ({share:P0}), inferences {every.R.Inferences} / {slots.R.Inferences}; " +
            $"frames with masks {every.Masked.Count} / {slots.Masked.Count}, masks {every.R.Masks.Sum(m => m.Boxes.Count)} / {slots.R.Masks.Sum(m => m.Boxes.Count)}");
        Assert.Equal(timeline.FrameCount, every.R.Searched);
        Assert.InRange(share, 0.45, 0.55);                   // every other frame (the key frames fall on searched ones)
        Assert.True(slots.R.Inferences < 0.8 * every.R.Inferences, "searching half the frames saves inferences");
        Assert.True(every.Masked.Count > timeline.FrameCount / 2, "the clip has plates in most frames");
        // The frames between searched ones are masked by the tracker wherever searching every frame masked them.
        var lost = every.Masked.Except(slots.Masked).ToList();
        Assert.True(lost.Count <= 1, $"frames masked only when every frame is searched: {string.Join(", ", lost)}");
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlateBlurOptions { ScanSeconds = 0.5 }.ScanOptions());
    }
}
