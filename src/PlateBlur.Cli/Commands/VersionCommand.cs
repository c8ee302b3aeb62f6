using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using PlateBlur.Core.Models;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur version (and plateblur --version): the tool's version, where it runs from, and the default models with their sha256.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var cmd = new Command("version", "Print the version of plateblur and the default model's name and sha256 (same as --version)");
        cmd.SetAction(_ => { Console.WriteLine(Text()); return 0; });
        return cmd;
    }

    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static string Text()
    {
        var manifest = ModelManifest.Embedded;
        var plate = manifest.Find(manifest.Default);
        var vehicle = manifest.Find(manifest.VehicleDefault);
        return $"plateblur {Version}\n" +
               $"default model: {plate.Name} sha256 {plate.Sha256}\n" +
               $"vehicle model: {vehicle.Name} sha256 {vehicle.Sha256}\n" +
               $"installed in: {AppContext.BaseDirectory}";
    }

    /// <summary>The action of the built-in --version option.</summary>
    public sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Text());
            return 0;
        }
    }
}
