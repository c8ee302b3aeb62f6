using System.CommandLine;
using PlateBlur.Core;
using PlateBlur.Core.Models;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur models list | fetch: the manifest and the verified local cache.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the models of the manifest");
        list.SetAction(_ =>
        {
            var store = ModelStore.FromEnvironment();
            foreach (var m in store.Manifest.Models)
                Console.WriteLine($"{m.Name,-20} {m.Role,-8} {m.Layout,-11} input {m.InputSize,4}  {(m.Role == "plate" ? Thresholds(m.Name) : ""),-23} {m.Licence,-11} {m.File}{(m.BundledPath != null ? " (in the repository)" : "")}{(m.Name == store.Manifest.Default ? "  (default)" : "")}");
            return 0;
        });

        var names = new Argument<string[]>("names") { Description = "Models to fetch (default: all)", Arity = ArgumentArity.ZeroOrMore };
        var fetch = new Command("fetch", $"Download models into the cache (or copy from ${ModelStore.MirrorVariable}) and check their sha256") { names };
        fetch.SetAction(async (r, ct) =>
        {
            var store = ModelStore.FromEnvironment();
            var wanted = r.GetValue(names) is { Length: > 0 } n ? n.Select(store.Manifest.Find).ToList() : store.Manifest.Models.ToList();
            try
            {
                foreach (var spec in wanted)
                {
                    string path = await store.FetchAsync(spec, new Progress<string>(Console.Error.WriteLine), ct);
                    Console.WriteLine($"{spec.Name}: {path} (sha256 ok)");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
        });

        var timeNames = new Argument<string[]>("names") { Description = "Models to time (default: every plate model and the default vehicle model)", Arity = ArgumentArity.ZeroOrMore };
        var threads = new Option<string>("--threads") { Description = "Comma-separated ONNX Runtime thread counts", DefaultValueFactory = _ => "1,2" };
        var runs = new Option<int>("--runs") { Description = "Timed inferences per model and thread count (median quoted)", DefaultValueFactory = _ => 20 };
        var image = new Option<string?>("--image") { Description = "Photo to run on (default: a generated 1280x720 test pattern)" };
        var time = new Command("time", "Milliseconds per inference of each model at its input size, per thread count (median, after warm-up)") { timeNames, threads, runs, image };
        time.SetAction(async (r, ct) =>
        {
            var store = ModelStore.FromEnvironment();
            var manifest = store.Manifest;
            var wanted = r.GetValue(timeNames) is { Length: > 0 } n ? n.ToList()
                : manifest.Models.Where(m => m.Role == "plate").Select(m => m.Name).Append(manifest.VehicleDefault).ToList();
            try
            {
                var counts = r.GetValue(threads)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
                int runCount = Math.Max(1, r.GetValue(runs));
                var source = LoadImage(r.GetValue(image));
                Console.WriteLine($"| model | input | {string.Join(" | ", counts.Select(c => $"ms/inference, {c} thread{(c == 1 ? "" : "s")}"))} |");
                Console.WriteLine($"|---|---|{string.Concat(counts.Select(_ => "---|"))}");
                foreach (var name in wanted)
                {
                    var (spec, path) = await store.ResolveAsync(name, null, ct);
                    var cells = new List<string>();
                    foreach (int c in counts)
                    {
                        using var detector = new PlateBlur.Core.Detection.OnnxDetector(spec, path, c);
                        var region = new PlateBlur.Core.Detection.BoxF(0, 0, source.Width, source.Height);
                        for (int i = 0; i < 3; i++) detector.Detect(source, region, 0.5f);
                        var ms = new List<double>();
                        for (int i = 0; i < runCount; i++)
                        {
                            var sw = System.Diagnostics.Stopwatch.StartNew();
                            detector.Detect(source, region, 0.5f);
                            ms.Add(sw.Elapsed.TotalMilliseconds);
                        }
                        ms.Sort();
                        cells.Add(ms[ms.Count / 2].ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    Console.WriteLine($"| {spec.Name} | {spec.InputSize} | {string.Join(" | ", cells)} |");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException or InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException or PlateBlur.Core.Media.MediaException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
        });

        return new Command("models", "Model manifest and cache") { list, fetch, time };
    }

    /// <summary>The mask and QC thresholds the pipeline uses for a model when none are set.</summary>
    private static string Thresholds(string model)
    {
        var o = new PlateBlurOptions { Model = model };
        return $"threshold {o.EffectiveThreshold:0.00} qc {o.EffectiveQcThreshold:0.00}";
    }

    /// <summary>The photo to time on, or a 1280x720 pattern with edges and gradients (inference time does not depend on content).</summary>
    private static PlateBlur.Core.Detection.RgbaImageSource LoadImage(string? path)
    {
        if (path != null)
        {
            var photo = PlateBlur.Core.Media.Photo.Load(path);
            return new PlateBlur.Core.Detection.RgbaImageSource(photo.Rgba, photo.Width, photo.Height);
        }
        const int w = 1280, h = 720;
        var px = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 4;
                px[i] = (byte)(x * 255 / w); px[i + 1] = (byte)(y * 255 / h); px[i + 2] = (byte)((x / 40 + y / 40) % 2 * 255); px[i + 3] = 255;
            }
        return new PlateBlur.Core.Detection.RgbaImageSource(px, w, h);
    }
}
