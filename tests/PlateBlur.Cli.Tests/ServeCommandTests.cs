using System.Diagnostics;
using Azure.Storage.Blobs;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

public class ServeCommandTests
{
    private static string Storage => TestEnv.Storage ?? throw new InvalidOperationException("PLATEBLUR_STORAGE (Azurite) is not set.");

    [StorageFact]
    public async Task Serve_picks_up_an_uploaded_photo_and_publishes_it_to_outbox()
    {
        string prefix = "serve-" + Guid.NewGuid().ToString("N")[..8];

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "plateblur.dll"), "serve", "--storage", Storage, "--poll-seconds", "0.5", "--source-policy", "move", "--prefix", prefix + "/" })
            psi.ArgumentList.Add(a);
        psi.Environment["PLATEBLUR_MODELS_DIR"] = TestEnv.Models.CacheDir;
        if (TestEnv.Models.MirrorDir != null) psi.Environment["PLATEBLUR_MODELS_MIRROR"] = TestEnv.Models.MirrorDir;
        using var serve = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        serve.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        serve.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        serve.BeginErrorReadLine(); serve.BeginOutputReadLine();
        try
        {
            var photo = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[2].Image;
            var upload = CliRunner.Run("upload", photo, "--storage", Storage, "--prefix", prefix);
            Assert.Equal(0, upload.ExitCode);
            string name = $"{prefix}/{Path.GetFileName(photo)}";
            var service = new BlobServiceClient(Storage);
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (DateTime.UtcNow < deadline && !(await service.GetBlobContainerClient("archive").GetBlobClient(name).ExistsAsync()).Value)
                await Task.Delay(500);
            bool published = (await service.GetBlobContainerClient("outbox").GetBlobClient(name).ExistsAsync()).Value;
            lock (log) Assert.True(published, log.ToString());
            Assert.True((await service.GetBlobContainerClient("outbox").GetBlobClient(name + ".report.json").ExistsAsync()).Value);
            Assert.True((await service.GetBlobContainerClient("archive").GetBlobClient(name).ExistsAsync()).Value);
            Assert.False((await service.GetBlobContainerClient("inbox").GetBlobClient(name).ExistsAsync()).Value);
        }
        finally
        {
            serve.Kill(true);
            serve.WaitForExit(10_000);
        }
    }
}
