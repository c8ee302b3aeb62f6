using System.CommandLine;
using PlateBlur.Cli.Commands;

var root = new RootCommand("PlateBlur: finds vehicle licence plates in videos and photos and covers them, before the media is published or shared.");
root.Subcommands.Add(AnonymizeCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(PlateBlur.Cli.Bench.PipelineBenchCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(EvalVideoCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(UploadCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(ReviewCommand.Create());
root.Subcommands.Add(VersionCommand.Create());
// --version prints the tool's version and the default model's name and sha256 (the built-in option printed the version only).
foreach (var v in root.Options.OfType<VersionOption>()) v.Action = new VersionCommand.PrintVersion();
// Ctrl+C and SIGTERM cancel the command's token; it then has time to stop ffmpeg and remove its temporary files before the process ends.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
