using System.CommandLine;
using PlateBlur.Cli.Commands;
using PlateBlur.Core;

namespace PlateBlur.Cli.Tests;

/// <summary>The CLI's options come from one table: its flags, binding and ToArgs agree with each other and with PlateBlurOptions' defaults.</summary>
public class PipelineOptionsTests
{
    private static ParseResult Parse(PipelineOptions options, IEnumerable<string> args)
    {
        var cmd = new RootCommand();
        options.AddTo(cmd);
        var r = cmd.Parse(args.ToArray());
        Assert.True(r.Errors.Count == 0, string.Join("; ", r.Errors.Select(e => e.Message)));
        return r;
    }

    [Fact]
    public void Every_row_is_a_property_of_the_options_once_with_its_flag_in_kebab_case()
    {
        Assert.Equal(PipelineOptions.Rows.Count, PipelineOptions.Rows.Select(r => r.Property).Distinct().Count());
        foreach (var row in PipelineOptions.Rows)
            Assert.NotNull(typeof(PlateBlurOptions).GetProperty(row.Property));
        Assert.Equal("--gap-seconds", PipelineOptions.Rows.Single(r => r.Property == nameof(PlateBlurOptions.GapSeconds)).Flag);
        Assert.Equal("--max-segments-in-flight", PipelineOptions.Rows.Single(r => r.Property == nameof(PlateBlurOptions.MaxSegmentsInFlight)).Flag);
        Assert.Throws<ArgumentException>(() => new PipelineOptions.Row<int>(nameof(PlateBlurOptions.Pad), "wrong type"));
        Assert.Throws<ArgumentException>(() => new PipelineOptions.Row<int>("NoSuchSetting", "missing"));
    }

    [Fact]
    public void Without_flags_anonymize_and_serve_bind_the_settings_defaults()
    {
        // The Functions app reads the same record from its settings: serve's in-flight segments (4), QC samples and policy included.
        var anonymize = new PipelineOptions();
        var plain = anonymize.Bind(Parse(anonymize, []));
        foreach (var p in typeof(PlateBlurOptions).GetProperties().Where(p => p.CanWrite))
            Assert.True(Equals(p.GetValue(new PlateBlurOptions()), p.GetValue(plain)), $"{p.Name}: {p.GetValue(plain)}");
        Assert.Equal(new PlateBlurOptions(), plain);
        var serve = new PipelineOptions(PipelineOptions.Serve);
        var bound = serve.Bind(Parse(serve, []));
        Assert.Equal(new PlateBlurOptions(), bound);
        Assert.Equal(4, bound.MaxSegmentsInFlight);
    }

    [Fact]
    public void ToArgs_of_options_that_differ_from_every_default_binds_back_to_the_same_options()
    {
        var o = new PlateBlurOptions() with { };
        foreach (var row in PipelineOptions.Rows.Where(r => r.In == PipelineOptions.Group.Anonymize))
        {
            var p = typeof(PlateBlurOptions).GetProperty(row.Property)!;
            var value = OtherThan(p.PropertyType, p.GetValue(o));
            p.SetValue(o, value);
            Assert.NotEqual(p.GetValue(new PlateBlurOptions()), p.GetValue(o));
        }
        var args = PipelineOptions.ToArgs(o).ToList();
        var options = new PipelineOptions();
        Assert.Equal(o, options.Bind(Parse(options, args)));
        Assert.Contains("--fail-secure", args);   // a switch
        Assert.Contains("--tiles", args);         // a bool with a value (its default is true)
        // Nulls and false switches are left out, and still bind back.
        var plain = new PlateBlurOptions();
        var plainArgs = PipelineOptions.ToArgs(plain).ToList();
        Assert.DoesNotContain("--threshold", plainArgs);
        Assert.DoesNotContain("--fail-secure", plainArgs);
        Assert.Equal(plain, options.Bind(Parse(options, plainArgs)));
    }

    [Fact]
    public void Serve_takes_the_pipeline_rows_and_anonymize_does_not()
    {
        var serve = new RootCommand(); new PipelineOptions(PipelineOptions.Serve).AddTo(serve);
        var anonymize = new RootCommand(); new PipelineOptions().AddTo(anonymize);
        foreach (var flag in new[] { "--segment-seconds", "--max-segments-in-flight", "--qc-samples", "--qc-threshold", "--source-policy" })
        {
            Assert.Contains(serve.Options, o => o.Name == flag);
            Assert.DoesNotContain(anonymize.Options, o => o.Name == flag);
        }
        var s = new PipelineOptions(PipelineOptions.Serve);
        Assert.Equal(2, s.Bind(Parse(s, ["--max-segments-in-flight", "2", "--source-policy", "keep"])).MaxSegmentsInFlight);
        Assert.Throws<ArgumentException>(() => new PipelineOptions(nameof(PlateBlurOptions.Model)));
    }

    /// <summary>A value of the property's type that is not <paramref name="current"/>.</summary>
    private static object OtherThan(Type t, object? current)
    {
        var u = Nullable.GetUnderlyingType(t) ?? t;
        if (u == typeof(string)) return current + "-other";
        if (u == typeof(bool)) return !(bool)(current ?? false);
        if (u == typeof(int)) return (int)(current ?? 0) + 3;
        if (u == typeof(float)) return (float)(current ?? 0f) + 0.125f;
        if (u == typeof(double)) return (double)(current ?? 0.0) + 0.1234567;
        if (u.IsEnum) return Enum.GetValues(u).Cast<object>().First(v => !v.Equals(current));
        throw new NotSupportedException($"no test value for {t}: add one here");
    }
}
