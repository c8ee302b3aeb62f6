using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Evaluation;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Core.Tests.Detection;

/// <summary>Detector lanes (sessions run side by side on the passes of one frame) change how fast a frame is searched, never what is found.</summary>
public class LanesTests(ITestOutputHelper log)
{
    [SharedFact]
    public async Task Two_lanes_find_exactly_what_one_session_finds_on_real_frames_upright_and_turned()
    {
        var (spec, path) = await TestEnv.Models.ResolveAsync(new PlateBlurOptions().Model);
        using var one = new OnnxDetector(spec, path, threads: 2, lanes: 1);
        using var two = new OnnxDetector(spec, path, threads: 2, lanes: 2);
        Assert.Equal(2, two.Lanes);
        var scan = new PlateBlurOptions().ScanOptions();
        using var dir = TestEnv.TempDir();
        int frames = 0, found = 0;
        foreach (var (clip, at) in new[] { ("uk_rain_street.mp4", 1.0), ("uk_rain_street.mp4", 3.5), ("vn_toll_cctv.mp4", 2.0), ("us_freeway_dashcam_540p.mp4", 4.0) })
        {
            string png = dir.File($"{Path.GetFileNameWithoutExtension(clip)}-{at}.png");
            TestEnv.Ffmpeg($"-ss {at.ToString(System.Globalization.CultureInfo.InvariantCulture)} -i \"{TestEnv.Shared("samples", clip)}\" -frames:v 1 \"{png}\"");
            var photo = Photo.Load(png);
            foreach (int rotation in new[] { 0, 90 })
            {
                IImageSource image = new RgbaImageSource(photo.Rgba, photo.Width, photo.Height);
                if (rotation != 0) image = new RotatedImageSource(image, rotation);
                // frame -1: every tile and the coarse pass, so the frame has several passes to share out
                var a = new FrameScanner(one, scan).ScanRaw(image, -1, 0.1f);
                var b = new FrameScanner(two, scan).ScanRaw(image, -1, 0.1f);
                Assert.Equal(a.Count, b.Count);
                for (int i = 0; i < a.Count; i++)
                {
                    Assert.Equal(a[i].Box, b[i].Box);
                    Assert.Equal(a[i].Score, b[i].Score, 5);
                }
                frames++; found += a.Count;
            }
        }
        log.WriteLine($"{frames} frames, {found} raw detections, identical with one and two lanes; inferences {one.Inferences} / {two.Inferences}");
        Assert.Equal(one.Inferences, two.Inferences);
        Assert.True(found > 8, $"only {found} raw detections: the frames hold plates");
    }

    [SharedFact]
    public async Task Lanes_outside_1_to_16_are_refused_with_the_setting_named()
    {
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Anonymizer.CreateAsync(new PlateBlurOptions { InferenceLanes = 0 }, TestEnv.Models));
        Assert.Contains("inference-lanes", e.Message);
    }

    [SharedFact]
    public async Task Cuda_without_a_usable_gpu_says_why_and_finds_on_the_cpu_what_the_cpu_finds()
    {
        // This build carries the CPU-only ONNX Runtime (a GPU build is dotnet build -p:PlateBlurGpu=true), and CI has no GPU.
        var (spec, path) = await TestEnv.Models.ResolveAsync(new PlateBlurOptions().Model);
        using var cpu = new OnnxDetector(spec, path, threads: 2);
        using var asked = new OnnxDetector(spec, path, threads: 2, provider: "cuda");
        Assert.Equal("cpu", asked.Provider);
        Assert.NotNull(asked.ProviderNote);
        Assert.Contains("CUDA", asked.ProviderNote);
        Assert.Contains("running on the CPU", asked.ProviderNote);
        log.WriteLine(asked.ProviderNote);
        var photo = Photo.Load(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[0].Image);
        var image = new RgbaImageSource(photo.Rgba, photo.Width, photo.Height);
        var whole = new BoxF(0, 0, photo.Width, photo.Height);
        var a = cpu.Detect(image, whole, 0.1f);
        var b = asked.Detect(image, whole, 0.1f);
        Assert.NotEmpty(a);
        Assert.Equal(a.Select(d => d.Box), b.Select(d => d.Box));

        // Through the anonymizer: the note reaches the log, the report names where the model ran.
        var lines = new List<string>();
        using var anonymizer = await Anonymizer.CreateAsync(new PlateBlurOptions { Threads = 2, ExecutionProvider = "cuda" }, TestEnv.Models,
            new SyncProgress(lines.Add));
        Assert.Equal("cpu", anonymizer.Model.Provider);
        Assert.Contains(lines, l => l.Contains("running on the CPU"));
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Anonymizer.CreateAsync(new PlateBlurOptions { ExecutionProvider = "tpu" }, TestEnv.Models));
        Assert.Contains("cpu or cuda", e.Message);
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
