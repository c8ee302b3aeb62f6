using System.CommandLine;
using Azure.Storage.Blobs;
using PlateBlur.Orchestration;
using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur upload FILE...: drops files into inbox/ (the way any Azure Storage client would).</summary>
public static class UploadCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Files to upload", Arity = ArgumentArity.OneOrMore };
        var storage = ServeCommand.Storage();
        var prefix = new Option<string?>("--prefix") { Description = "Folder inside inbox/ to upload into" };
        var cmd = new Command("upload", "Upload files into inbox/ of the pipeline's storage account") { files };
        cmd.Options.Add(storage); cmd.Options.Add(prefix);
        cmd.SetAction(async (r, ct) =>
        {
            try
            {
                var blobs = new BlobStore(new BlobServiceClient(ServeCommand.ResolveStorage(r.GetValue(storage))));
                await blobs.EnsureContainersAsync(ct);
                foreach (var f in r.GetValue(files)!)
                {
                    if (!File.Exists(f)) throw new FileNotFoundException($"{f} does not exist.");
                    string name = string.IsNullOrEmpty(r.GetValue(prefix)) ? Path.GetFileName(f) : $"{r.GetValue(prefix)!.Trim('/')}/{Path.GetFileName(f)}";
                    await blobs.UploadAsync(f, Containers.Inbox, name, null, ct);
                    Console.WriteLine($"{Containers.Inbox}/{name}");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or Azure.RequestFailedException or FormatException or ArgumentException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
