using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PlateBlur.Core.Media;

/// <summary>A source that ffmpeg reads in place over HTTP(S) (a blob with a short-lived read-only SAS) instead of from a local copy.
/// The URL is made by the caller from its own storage client, never taken from user input or from inside a file; the container was
/// sniffed from the blob's first bytes and is forced on the demuxer like a local file's.</summary>
/// <param name="Url">The URL, SAS included (a secret: never logged; see <see cref="RemoteMedia.Redact"/>).</param>
/// <param name="Name">What messages call it (the blob's name).</param>
/// <param name="IfMatch">The ETag the source must still have: sent as If-Match with every range request, so a re-upload fails the read.</param>
public sealed record RemoteSource(Uri Url, ContainerKind Kind, string Name, long Length, string? IfMatch = null)
{
    /// <summary>Protocols ffmpeg may use for this URL: https (with tls and tcp under it), or http and tcp for a loopback endpoint (Azurite) only.</summary>
    public string Protocols => Url.Scheme switch
    {
        "https" => "https,tls,tcp",
        "http" when Url.IsLoopback => "http,tcp",
        _ => throw new MediaException(MediaError.NotMedia, $"{Name}: only https (or http to a loopback storage emulator) may be read in place, not {Url.Scheme}://{Url.Host}."),
    };

    /// <summary>ffmpeg input options: protocol allow-list, forced demuxer, and the If-Match header (ffmpeg ends the header line itself).</summary>
    public string InputArguments =>
        $"-protocol_whitelist {Protocols} -f {MediaGuard.Demuxer(Kind)}" + (IfMatch == null ? "" : $" -headers \"If-Match: \\\"{IfMatch.Trim('"')}\\\"\"");
}

/// <summary>The remote sources this process may read (registered by the pipeline for the life of one activity), and the bytes ffmpeg read from them.</summary>
public static class RemoteMedia
{
    private static readonly ConcurrentDictionary<string, RemoteSource> Sources = new();
    private static readonly Dictionary<string, int> Holders = [];

    /// <summary>Told the bytes ffmpeg read from a remote source (its own count, logged when its input closes).</summary>
    public static event Action<long>? BytesRead;

    internal static void OnBytesRead(long bytes) { if (bytes > 0) BytesRead?.Invoke(bytes); }

    /// <summary>Lets ffmpeg read <paramref name="source"/> until the returned handle is disposed; its URL then stands for it as a "path".</summary>
    public static IDisposable Register(RemoteSource source)
    {
        _ = source.Protocols; // refuses any other scheme now
        string key = source.Url.AbsoluteUri;
        // Two activities of one run can be given the same URL (same blob, same expiry second): the last one done removes it.
        lock (Holders)
        {
            Sources[key] = source;
            Holders[key] = Holders.GetValueOrDefault(key) + 1;
        }
        return new Registration(key);
    }

    private sealed class Registration(string key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            lock (Holders)
            {
                if (--Holders[key] > 0) return;
                Holders.Remove(key);
                Sources.TryRemove(key, out _);
            }
        }
    }

    public static bool IsUrl(string path) => path.Contains("://", StringComparison.Ordinal);

    /// <summary>The registered source for a URL; any other URL is refused (a URL is never opened unless we made it).</summary>
    public static RemoteSource Get(string url) => Sources.TryGetValue(url, out var s) ? s
        : throw new MediaException(MediaError.NotMedia, "A URL that this process did not register as a source was refused.");

    /// <summary>True when <paramref name="arguments"/> open a registered remote source.</summary>
    public static bool Opens(string arguments) => !Sources.IsEmpty && Sources.Keys.Any(k => arguments.Contains(k, StringComparison.Ordinal));

    /// <summary>A file's name for messages, or a remote source's name (never its URL).</summary>
    public static string NameOf(string path) => IsUrl(path) ? (Sources.TryGetValue(path, out var s) ? s.Name : Redact(path)) : System.IO.Path.GetFileName(path);

    /// <summary>Text with the query string (a SAS) of every URL in it removed.</summary>
    public static string Redact(string text) => Regex.Replace(text, @"(https?://[^\s?'""]+)\?[^\s'""]*", "$1?…");

    /// <summary>The bytes the last input of an ffmpeg run read, from its verbose report ("Statistics: N bytes read"); the inputs close in order, so the last such line is the last input's.</summary>
    public static long LastInputBytes(IEnumerable<string> reportLines)
    {
        long last = 0;
        foreach (var line in reportLines)
        {
            var m = Regex.Match(line, @"Statistics: (\d+) bytes read");
            if (m.Success) last = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return last;
    }
}
