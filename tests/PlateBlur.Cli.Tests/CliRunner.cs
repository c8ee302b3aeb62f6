using System.Diagnostics;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

/// <summary>Runs the real plateblur command (the built plateblur.dll beside the tests) with output redirected, as a script would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static Result Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "plateblur.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir;
        if (TestEnv.Models.MirrorDir != null) psi.Environment["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000)) { p.Kill(true); throw new TimeoutException("plateblur took over 10 minutes"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
