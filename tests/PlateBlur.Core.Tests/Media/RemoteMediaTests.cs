using System.Net;
using System.Net.Sockets;
using System.Text;
using PlateBlur.Core.Media;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Media;

/// <summary>Issue 14: ffmpeg reads a blob in place over HTTP(S); the hostile-input gate of issue 9 holds on that path too.</summary>
public class RemoteMediaTests
{
    private static readonly VideoStreamInfo Video = new(0, "h264", 320, 240, 0, "25/1", 25, 25, "1/12800", 0, "yuv420p");

    [Fact]
    public void Only_registered_https_or_loopback_http_urls_are_opened_with_their_sniffed_demuxer_and_never_file()
    {
        var https = new RemoteSource(new Uri("https://acct.blob.core.windows.net/inbox/a.mp4?sv=1&sig=SECRET"), ContainerKind.IsoMedia, "a.mp4", 10, "\"0x8DC\"");
        using (RemoteMedia.Register(https))
        {
            string args = MediaGuard.InputArguments(https.Url.AbsoluteUri);
            Assert.StartsWith("-protocol_whitelist https,tls,tcp -f mov", args);
            Assert.Contains("If-Match: \\\"0x8DC\\\"", args);
            Assert.DoesNotContain("file", args);
            Assert.Equal("a.mp4", RemoteMedia.NameOf(https.Url.AbsoluteUri));
        }
        // Two holders of one URL: it stays until both are done.
        var a = RemoteMedia.Register(https);
        var b = RemoteMedia.Register(https);
        a.Dispose();
        Assert.StartsWith("-protocol_whitelist https", MediaGuard.InputArguments(https.Url.AbsoluteUri));
        b.Dispose();
        // Gone once the activity is done, and never a URL we did not make.
        Assert.Throws<MediaException>(() => MediaGuard.InputArguments(https.Url.AbsoluteUri));
        Assert.Throws<MediaException>(() => MediaGuard.InputArguments("http://127.0.0.1:1/x.mp4"));
        var loopback = new RemoteSource(new Uri("http://127.0.0.1:10000/devstoreaccount1/inbox/a.mkv?sig=S"), ContainerKind.Matroska, "a.mkv", 10);
        using (RemoteMedia.Register(loopback))
            Assert.Equal("-protocol_whitelist http,tcp -f matroska", MediaGuard.InputArguments(loopback.Url.AbsoluteUri));
        Assert.Throws<MediaException>(() => RemoteMedia.Register(new RemoteSource(new Uri("http://storage.example.com/inbox/a.mp4"), ContainerKind.IsoMedia, "a.mp4", 10)));
        Assert.Throws<MediaException>(() => RemoteMedia.Register(new RemoteSource(new Uri("file:///etc/passwd"), ContainerKind.IsoMedia, "a.mp4", 10)));
        Assert.Equal("see http://h/inbox/a.mp4?… now", RemoteMedia.Redact("see http://h/inbox/a.mp4?sv=1&sig=SECRET now"));
    }

    [Fact]
    public async Task A_blob_read_in_place_that_holds_a_playlist_is_refused_by_the_forced_demuxer_and_nothing_it_names_is_fetched()
    {
        // The victim: a loopback port a playlist points at, which must never be contacted.
        var victim = new TcpListener(IPAddress.Loopback, 0);
        victim.Start();
        using var dir = TestEnv.TempDir();
        int victimPort = ((IPEndPoint)victim.LocalEndpoint).Port;
        var playlist = File.ReadAllBytes(HostileMedia.Make("hls-http", dir.Path, dir.File("none.mp4"), victimPort));
        // "Storage": serves the playlist for any request (as if the blob had been swapped after it was sniffed as MP4).
        var storage = new TcpListener(IPAddress.Loopback, 0);
        storage.Start();
        int requests = 0;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await storage.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref requests);
                var stream = client.GetStream();
                var buffer = new byte[8192];
                int n = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, n).Contains("\r\n\r\n") && n < buffer.Length)
                {
                    int got = await stream.ReadAsync(buffer.AsMemory(n), stop.Token);
                    if (got == 0) break;
                    n += got;
                }
                seen.Enqueue(Encoding.ASCII.GetString(buffer, 0, n));
                var header = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {playlist.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(header, stop.Token);
                await stream.WriteAsync(playlist, stop.Token);
            }
        });
        try
        {
            var url = new Uri($"http://127.0.0.1:{((IPEndPoint)storage.LocalEndpoint).Port}/devstoreaccount1/inbox/clip.mp4?sv=1&sig=SECRET");
            using var registration = RemoteMedia.Register(new RemoteSource(url, ContainerKind.IsoMedia, "clip.mp4", playlist.Length, "\"0x8DCABC\""));
            var timeline = new FrameTimeline([0L, 40_000_000L], [0L], 1, 12800);
            var e = await Assert.ThrowsAsync<MediaException>(async () =>
            {
                await foreach (var frame in FrameReader.ReadAsync(url.AbsoluteUri, Video, timeline)) frame.Dispose();
            });
            Assert.Contains("clip.mp4", e.Message);
            Assert.DoesNotContain("SECRET", e.Message);
            Assert.True(requests >= 1, "ffmpeg never asked the storage endpoint"); // the refusal came from reading the bytes over HTTP
            Assert.All(seen, r => Assert.Contains("\r\nIf-Match: \"0x8DCABC\"\r\n", r)); // only the run's version of the blob may be read
            Assert.False(victim.Pending(), "a URL inside the blob was contacted");
        }
        finally
        {
            stop.Cancel();
            storage.Stop();
            victim.Stop();
            try { await server; } catch (Exception) { /* stopped */ }
        }
    }
}
