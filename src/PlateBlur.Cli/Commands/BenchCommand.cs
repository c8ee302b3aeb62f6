using System.CommandLine;
using System.Text.Json;
using PlateBlur.Cli.Bench;
using PlateBlur.Core.Reports;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur bench: anonymize speed as a ratio to a plain ffmpeg re-encode with the same encoder settings, measured in the same run.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Extra video files to measure (e.g. a real clip)", Arity = ArgumentArity.ZeroOrMore };
        var sizes = new Option<string>("--size") { Description = "Comma-separated sizes of generated test clips", DefaultValueFactory = _ => "1280x720,1920x1080" };
        var seconds = new Option<int>("--seconds") { Description = "Length of each generated clip", DefaultValueFactory = _ => 10 };
        var runs = new Option<int>("--runs") { Description = "Runs per clip; the median is quoted", DefaultValueFactory = _ => 3 };
        var outDir = new Option<string?>("--out") { Description = "Folder for bench.md and bench.json" };
        var pipeline = new PipelineOptions();
        var cmd = new Command("bench", "Time anonymize against a plain ffmpeg re-encode (same encoder settings) on generated and given clips") { files };
        cmd.Options.Add(sizes); cmd.Options.Add(seconds); cmd.Options.Add(runs); cmd.Options.Add(outDir);
        pipeline.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var options = pipeline.Bind(r);
            string work = Directory.CreateTempSubdirectory("plateblur-bench-").FullName;
            try
            {
                var clips = new List<string>();
                foreach (var size in r.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var wh = size.Split('x');
                    if (wh.Length != 2 || !int.TryParse(wh[0], out int w) || !int.TryParse(wh[1], out int h) || w <= 0 || h <= 0)
                        throw new ArgumentException($"--size: '{size}' is not WIDTHxHEIGHT");
                    Console.Error.WriteLine($"making {w}x{h} test clip ({r.GetValue(seconds)} s)");
                    clips.Add(BenchRunner.MakeClip(work, w, h, r.GetValue(seconds)));
                }
                clips.AddRange(r.GetValue(files) ?? []);
                var results = new List<BenchResult>();
                foreach (var clip in clips)
                {
                    Console.Error.WriteLine($"{Path.GetFileName(clip)}:");
                    results.Add(await BenchRunner.MeasureAsync(clip, options, Math.Max(1, r.GetValue(runs)), work, Console.Error.WriteLine));
                }
                string table = BenchRunner.Table(results);
                Console.WriteLine(table);
                Console.WriteLine($"(median of {r.GetValue(runs)} runs; ratio = anonymize fps / plain re-encode fps; stages are shares of anonymize wall time, decode and encode run in ffmpeg beside detection and count the time the pipeline waited on them)");
                if (r.GetValue(outDir) is { } o)
                {
                    Directory.CreateDirectory(o);
                    await File.WriteAllTextAsync(Path.Combine(o, "bench.md"), table + Environment.NewLine, ct);
                    await File.WriteAllTextAsync(Path.Combine(o, "bench.json"), JsonSerializer.Serialize(new { options, results }, AnonymizationReport.Json), ct);
                }
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or PlateBlur.Core.Media.MediaException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
            finally
            {
                Directory.Delete(work, true);
            }
        });
        return cmd;
    }
}
