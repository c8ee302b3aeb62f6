using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace PlateBlur.Orchestration.Storage;

/// <summary>The pipeline's containers over Azure Blob Storage (Azurite locally): download to and upload from local files, copy, delete.</summary>
/// <param name="probe">The same account without retries, used to step past a listing page that storage cannot return (see <see cref="ListResilientAsync"/>);
/// null: the main client.</param>
public sealed class BlobStore(BlobServiceClient service, BlobServiceClient? probe = null)
{
    public BlobServiceClient Service => service;

    public BlobClient Blob(string container, string name) => service.GetBlobContainerClient(container).GetBlobClient(name);

    public Uri UriOf(string container, string name) => Blob(container, name).Uri;

    public async Task EnsureContainersAsync(CancellationToken ct = default)
    {
        foreach (var c in Containers.All)
            await service.GetBlobContainerClient(c).CreateIfNotExistsAsync(cancellationToken: ct);
    }

    public async Task<BlobProperties?> PropertiesAsync(string container, string name, CancellationToken ct = default)
    {
        try { return (await Blob(container, name).GetPropertiesAsync(cancellationToken: ct)).Value; }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public async Task DownloadAsync(string container, string name, string localPath, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(localPath))!);
        await Blob(container, name).DownloadToAsync(localPath, ct);
        StorageReads.Add(container, new FileInfo(localPath).Length);
    }

    /// <summary>Downloads an inbox blob into a local work folder under a safe name (never the blob's own path) and returns the local path.
    /// With an ETag, only that version: a source re-uploaded or deleted since the run started throws <see cref="SourceChangedException"/>.</summary>
    public async Task<string> DownloadSourceAsync(string blobName, LocalWork work, CancellationToken ct = default, string? etag = null)
    {
        string path = work.File(WorkNames.LocalName("source", blobName));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new BlobDownloadToOptions { Conditions = etag == null ? null : new BlobRequestConditions { IfMatch = new ETag(Quote(etag)) } };
        try
        {
            await Blob(Containers.Inbox, blobName).DownloadToAsync(path, options, ct);
            StorageReads.Add(Containers.Inbox, new FileInfo(path).Length);
        }
        catch (RequestFailedException e) when (etag != null && e.Status is 412 or 404)
        {
            throw SourceChangedException.For(blobName, etag, e.Status == 404);
        }
        return path;
    }

    /// <summary>Bytes [offset, offset + count) of a blob, fewer at its end (one ranged read). With an ETag, only that version
    /// (<see cref="SourceChangedException"/> otherwise).</summary>
    public async Task<byte[]> ReadRangeAsync(string container, string name, long offset, int count, string? etag = null, CancellationToken ct = default)
    {
        var options = new BlobDownloadOptions
        {
            Range = new HttpRange(offset, count),
            Conditions = etag == null ? null : new BlobRequestConditions { IfMatch = new ETag(Quote(etag)) },
        };
        try
        {
            var bytes = (await Blob(container, name).DownloadContentAsync(options, ct)).Value.Content.ToArray();
            StorageReads.Add(container, bytes.Length);
            return bytes;
        }
        catch (RequestFailedException e) when (etag != null && e.Status is 412 or 404)
        {
            throw SourceChangedException.For(name, etag, e.Status == 404);
        }
    }

    /// <summary>A URL that reads one blob and nothing else, for <paramref name="lifetime"/>: a blob SAS with read permission only, signed with the
    /// account key when the client has one (a connection string; Azurite), else a user delegation SAS (the client signs in with a token
    /// credential: the managed identity in Azure, whose role must allow generateUserDelegationKey, as Storage Blob Data Contributor does).</summary>
    public async Task<Uri> ReadUrlAsync(string container, string name, TimeSpan lifetime, CancellationToken ct = default)
    {
        var blob = Blob(container, name);
        var expires = DateTimeOffset.UtcNow + lifetime;
        if (blob.CanGenerateSasUri) return blob.GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Read, expires);
        var starts = DateTimeOffset.UtcNow.AddMinutes(-5); // clock skew
        var key = await service.GetUserDelegationKeyAsync(starts, expires, ct);
        var sas = new Azure.Storage.Sas.BlobSasBuilder(Azure.Storage.Sas.BlobSasPermissions.Read, expires)
        {
            BlobContainerName = container, BlobName = name, Resource = "b", StartsOn = starts, Protocol = Azure.Storage.Sas.SasProtocol.Https,
        };
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key.Value, service.AccountName) }.ToUri();
    }

    /// <summary>True when a blob's ETag names the version <paramref name="etag"/> (quoted or not).</summary>
    public static bool IsVersion(ETag blobETag, string etag) => blobETag.ToString().Trim('"') == etag.Trim('"');

    public static string Quote(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    public async Task UploadAsync(string localPath, string container, string name, string? contentType = null, CancellationToken ct = default)
    {
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType ?? ContentTypeOf(name) } };
        await Blob(container, name).UploadAsync(localPath, options, ct);
    }

    public async Task UploadTextAsync(string text, string container, string name, CancellationToken ct = default, IDictionary<string, string>? metadata = null,
        BlobRequestConditions? conditions = null)
    {
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(name) }, Metadata = metadata, Conditions = conditions };
        await Blob(container, name).UploadAsync(BinaryData.FromString(text), options, ct);
    }

    /// <summary>A small blob's bytes, or null when it does not exist; refused over <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]?> ReadBytesIfExistsAsync(string container, string name, long maxBytes, CancellationToken ct = default)
    {
        var props = await PropertiesAsync(container, name, ct);
        if (props == null) return null;
        if (props.ContentLength > maxBytes) throw new InvalidDataException($"{container}/{name} is {props.ContentLength:N0} bytes, over {maxBytes:N0}");
        try
        {
            var bytes = (await Blob(container, name).DownloadContentAsync(ct)).Value.Content.ToArray();
            StorageReads.Add(container, bytes.Length);
            return bytes;
        }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public async Task<string> ReadTextAsync(string container, string name, CancellationToken ct = default)
    {
        var content = (await Blob(container, name).DownloadContentAsync(ct)).Value.Content;
        StorageReads.Add(container, content.ToMemory().Length);
        return content.ToString();
    }

    /// <summary>Server-side copy inside the account, waiting until it completes.</summary>
    public async Task CopyAsync(string fromContainer, string fromName, string toContainer, string toName, CancellationToken ct = default, IDictionary<string, string>? metadata = null,
        BlobRequestConditions? conditions = null)
    {
        var target = Blob(toContainer, toName);
        var op = await target.StartCopyFromUriAsync(Blob(fromContainer, fromName).Uri, new BlobCopyFromUriOptions { Metadata = metadata, DestinationConditions = conditions }, ct);
        await op.WaitForCompletionAsync(ct);
    }

    /// <summary>Writes <paramref name="container"/>/<paramref name="name"/> for run <paramref name="run"/> at most once, whatever runs it again.
    /// <paramref name="write"/> gets the conditions to write under (If-None-Match * when there is no blob, else If-Match the blob found, which
    /// another run wrote) and must tag the blob with the run (<see cref="RunKey"/>). A second execution of the same activity, concurrent or
    /// later, and the storage client's own retry of a write whose reply was lost (while storage restarts) all meet a blob that is no longer the
    /// one they looked at: the write is refused (409/412), the blob is looked at again, and it is this run's, so nothing is written twice.
    /// Checking the run tag first and then writing unconditionally did write twice in the chaos run.</summary>
    /// <returns>True when this call wrote the blob; false when this run had already written it.</returns>
    public Task<bool> WriteOncePerRunAsync(string container, string name, string run, Func<BlobRequestConditions, Task> write, CancellationToken ct = default) =>
        WriteIfUnchangedAsync(container, name, existing => WrittenBy(existing, run) ? false : null, write, ct);

    /// <summary>The conditional write both <see cref="WriteOncePerRunAsync"/> and <see cref="PublishVersionedAsync"/> stand on: look at the
    /// blob, let <paramref name="settle"/> decide from what is there (a result ends it; null means write), write under the condition that the
    /// blob is still what was looked at (If-None-Match * when there was none, else If-Match its ETag), and look again when that is refused
    /// (409/412: someone wrote between the look and the write). True once this call wrote.</summary>
    private async Task<bool> WriteIfUnchangedAsync(string container, string name, Func<BlobProperties?, bool?> settle, Func<BlobRequestConditions, Task> write,
        CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            var existing = await PropertiesAsync(container, name, ct);
            if (settle(existing) is bool settled) return settled;
            var conditions = existing == null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = existing.ETag };
            try
            {
                await write(conditions);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < 10)
            {
                // Written meanwhile (by this run's other execution, a retried request, or another run): look again.
            }
        }
    }

    /// <summary>Deletes a blob; with an ETag, only if it is still that version (a file re-uploaded meanwhile is left alone).</summary>
    public async Task<bool> DeleteAsync(string container, string name, string? ifMatchETag = null, CancellationToken ct = default)
    {
        var conditions = ifMatchETag != null ? new BlobRequestConditions { IfMatch = new ETag(ifMatchETag) } : null;
        try
        {
            var r = await Blob(container, name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, ct);
            return r.Value;
        }
        catch (RequestFailedException e) when (e.Status == 412) { return false; }
    }

    public async Task<int> DeletePrefixAsync(string container, string prefix, CancellationToken ct = default)
    {
        var c = service.GetBlobContainerClient(container);
        int n = 0;
        await foreach (var item in c.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct))
            if ((await c.DeleteBlobIfExistsAsync(item.Name, cancellationToken: ct)).Value) n++;
        return n;
    }

    /// <summary>Whether this blob was written by run <paramref name="run"/> (its <see cref="RunKey"/> metadata).</summary>
    public static bool WrittenBy(BlobProperties? props, string run) => props != null && props.Metadata.TryGetValue(RunKey, out var by) && by == run;

    /// <summary>The metadata keys of a published blob naming the source version it came from.</summary>
    public const string SourceETagKey = "plateblursourceetag", SourceModifiedKey = "plateblursourcemodified", RunKey = "plateblurrun";

    /// <summary>Copies a work/ result to a published name only if no output of a newer source version is there: the published blob carries the
    /// source's ETag and last-modified time as metadata, and the copy is conditional on the blob found (If-Match, or If-None-Match * when
    /// there is none), so two runs racing on one name never let the older source version win. Returns false when a newer version owns the name.</summary>
    /// <param name="current">The source in inbox/ is this version (nothing newer exists): only a strictly later version wins a tie-free comparison.</param>
    /// <param name="run">The run (orchestration instance) that publishes: a name this same run already published for this source version
    /// is left as it is. An activity runs at least once: Publish retried after a crash or a storage fault must not write an output twice.</param>
    public Task<bool> PublishVersionedAsync(string fromContainer, string fromName, string container, string name, SourceVersion version, bool current,
        CancellationToken ct = default, string? run = null)
    {
        var metadata = version.Metadata();
        if (run != null) metadata[RunKey] = run;
        return WriteIfUnchangedAsync(container, name, Settle, conditions => CopyAsync(fromContainer, fromName, container, name, ct, metadata, conditions), ct);

        bool? Settle(BlobProperties? existing)
        {
            if (existing != null && version.IsOlderThan(SourceVersion.Of(existing.Metadata), current)) return false;   // a newer version owns the name
            if (run != null && WrittenBy(existing, run)
                && SourceVersion.Of(existing!.Metadata) is { } published && published.ETag.Trim('"') == version.ETag.Trim('"'))
                return true;                                                                                             // this run published it already
            return null;
        }
    }

    /// <summary>Whether a newer version of the source has already published to this name (in this container).</summary>
    public async Task<bool> SupersededAtAsync(string container, string name, SourceVersion version, bool current, CancellationToken ct = default)
    {
        var existing = await PropertiesAsync(container, name, ct);
        return existing != null && version.IsOlderThan(SourceVersion.Of(existing.Metadata), current);
    }

    public IAsyncEnumerable<BlobItem> ListAsync(string container, string? prefix = null, CancellationToken ct = default) =>
        service.GetBlobContainerClient(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct);

    public static string ContentTypeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => "video/mp4", ".mov" => "video/quicktime", ".mkv" => "video/x-matroska", ".webm" => "video/webm",
        ".avi" => "video/x-msvideo", ".jpg" or ".jpeg" => "image/jpeg", ".png" => "image/png", ".webp" => "image/webp",
        ".json" => "application/json", _ => "application/octet-stream",
    };

    private readonly Dictionary<string, (string Marker, string Known)> _skips = [];
    private readonly HashSet<string> _fragile = [];

    /// <summary>A name a listing could not return: <see cref="Skipped"/> when the listing stepped over it and went on (Known describes
    /// what is known of the name), otherwise the listing stopped there (Known says why). <see cref="Remembered"/>: the skip was known from an
    /// earlier listing, so no search was needed.</summary>
    public sealed record Unlistable(string Known, bool Skipped, bool Remembered = false);

    /// <summary>Lists a container like <see cref="ListAsync"/>, but a page the storage service cannot return (Azurite fails the whole page when one
    /// name holds a control character: it cannot write it as XML) does not end the listing: it steps one blob at a time to the bad one, finds the
    /// first listing marker after it, adds a description of the skipped name to <paramref name="unlistable"/> and goes on after it. Needs a service
    /// whose continuation markers are blob names (Azurite); elsewhere (Azure encodes such names and never fails this way) it reports and stops.
    /// Skips are remembered, so later listings pass the bad name at once (without the retries of the main client).</summary>
    public async IAsyncEnumerable<BlobItem> ListResilientAsync(string container, string? prefix, List<Unlistable> unlistable,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var main = service.GetBlobContainerClient(container);
        var quick = (probe ?? service).GetBlobContainerClient(container);
        string listing = $"{container}|{prefix}";
        bool fragile;
        lock (_fragile) fragile = _fragile.Contains(listing);
        string? marker = null;
        while (true)
        {
            var (page, error) = await PageAsync(fragile ? quick : main, prefix, marker, 500, ct);
            if (page == null)
            {
                fragile = true;
                lock (_fragile) _fragile.Add(listing);
                // Step one blob at a time from the last good marker, through at most the failed page: the first step that fails is the bad name.
                int steps = 0;
                while ((page = (await PageAsync(quick, prefix, marker, 1, ct)).Page) != null)
                {
                    foreach (var item in page.Values) yield return item;
                    if (string.IsNullOrEmpty(page.ContinuationToken)) yield break;
                    marker = page.ContinuationToken;
                    if (++steps == 500) break;
                }
                if (page != null) continue; // the page failed for a passing reason: back to whole pages
                string key = $"{listing}|{marker}";
                (string Marker, string Known) skip;
                bool cached;
                lock (_skips) cached = _skips.TryGetValue(key, out skip);
                if (!cached)
                {
                    var found = await FindSkipMarkerAsync(quick, prefix ?? "", marker ?? "", ct);
                    if (found.Marker == null)
                    {
                        unlistable.Add(new($"{container}/ cannot be listed after {(marker == null ? "its start" : $"'{marker}'")}{(prefix == null ? "" : $" (prefix '{prefix}')")}: " +
                            $"{error?.Message.Split('\n')[0]}; the rest of this listing was not read", false));
                        yield break;
                    }
                    skip = (found.Marker, found.Known);
                    lock (_skips) _skips[key] = skip;
                }
                unlistable.Add(new(skip.Known, true, cached));
                marker = skip.Marker;
                continue;
            }
            foreach (var item in page.Values) yield return item;
            if (string.IsNullOrEmpty(page.ContinuationToken)) yield break;
            marker = page.ContinuationToken;
        }
    }

    private static async Task<(Page<BlobItem>? Page, Exception? Error)> PageAsync(BlobContainerClient c, string? prefix, string? marker, int size, CancellationToken ct)
    {
        try
        {
            await foreach (var page in c.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix, ct).AsPages(marker, size)) return (page, null);
            return (null, new InvalidOperationException("no page"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, e);
        }
    }

    // Characters a marker can carry (storage echoes the marker in its XML answer), in the order storage compares names (UTF-16 code units).
    private static readonly (int From, int To)[] SafeRanges = [(0x20, 0x7E), (0xA0, 0xD7FF), (0xE000, 0xFFFC)];
    private static readonly int SafeCount = SafeRanges.Sum(r => r.To - r.From + 1);

    private static char SafeChar(int index)
    {
        foreach (var (from, to) in SafeRanges)
        {
            if (index <= to - from) return (char)(from + index);
            index -= to - from + 1;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>Finds the smallest marker of safe characters after the unlistable name B that follows <paramref name="after"/>: character by character,
    /// a binary search for the largest safe character c with "the first name after K+c cannot be listed" (true exactly while K+c &lt; B).
    /// Returns null when no such marker is found (a service whose markers are not names). Also returns a description of B.</summary>
    private static async Task<(string? Marker, string Known)> FindSkipMarkerAsync(BlobContainerClient c, string prefix, string after, CancellationToken ct)
    {
        int probes = 0;
        async Task<bool> Fails(string x)
        {
            probes++;
            string m = string.CompareOrdinal(x, after) < 0 ? after : x;
            return (await PageAsync(c, prefix.Length > 0 ? prefix : null, m.Length > 0 ? m : null, 1, ct)).Page == null;
        }
        string k = prefix;
        string? fallback = null; // a marker past B for sure, when a character of B was only guessed
        while (k.Length <= WorkNames.MaxBlobName && probes < 40_000)
        {
            if (!await Fails(k + SafeChar(0)))
            {
                // B's next character sorts below every safe one: a control character.
                string m = k + SafeChar(0);
                return (m, Describe(k));
            }
            int lo = 0, hi = SafeCount - 1; // invariant: Fails(k + SafeChar(lo))
            while (lo < hi)
            {
                int mid = lo + (hi - lo + 1) / 2;
                if (await Fails(k + SafeChar(mid))) lo = mid; else hi = mid - 1;
            }
            if (lo == SafeCount - 1) break;
            char ch = SafeChar(lo), next = SafeChar(lo + 1);
            if (next != ch + 1)
            {
                // Between ch and next lie unsafe characters: B continues with ch or with one of them. Try ch; remember a sure marker.
                fallback ??= k + next;
                if (!await Fails(k + ch + SafeChar(SafeCount - 1)) ) { k += ch; continue; }
                return (k + next, Describe(k));
            }
            k += ch;
        }
        return fallback != null && !await Fails(fallback) ? (fallback, Describe(fallback[..^1])) : (null, "");
    }

    private static string Describe(string known) =>
        $"a blob whose name starts with '{known}' and then holds a character storage cannot list (a control character)";
}

/// <summary>One version of a source blob: its ETag and last-modified time (what orders two uploads under one name).</summary>
public sealed record SourceVersion(string ETag, DateTimeOffset Modified)
{
    public Dictionary<string, string> Metadata() => new()
    {
        [BlobStore.SourceETagKey] = ETag.Trim('"'),
        [BlobStore.SourceModifiedKey] = Modified.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static SourceVersion? Of(IDictionary<string, string>? metadata) =>
        metadata != null && metadata.TryGetValue(BlobStore.SourceETagKey, out var etag) && metadata.TryGetValue(BlobStore.SourceModifiedKey, out var ticks)
        && long.TryParse(ticks, System.Globalization.CultureInfo.InvariantCulture, out long t)
            ? new SourceVersion(etag, new DateTimeOffset(t, TimeSpan.Zero)) : null;

    /// <summary>Whether <paramref name="other"/> is a later upload than this one. Last-modified times have one-second resolution: on a tie
    /// (two uploads within one second) the version inbox/ still holds wins (<paramref name="thisIsCurrent"/>), otherwise the one already published,
    /// so an output is never replaced by a version that cannot show it is newer.</summary>
    public bool IsOlderThan(SourceVersion? other, bool thisIsCurrent) =>
        other != null && other.ETag.Trim('"') != ETag.Trim('"') && (thisIsCurrent ? other.Modified > Modified : other.Modified >= Modified);
}

/// <summary>The source in inbox/ is no longer the version this run started on (re-uploaded, or deleted). Never retried.</summary>
public class SourceChangedException(string message) : Exception(message)
{
    public static SourceChangedException For(string blob, string etag, bool deleted) => deleted
        ? new SourceDeletedException($"inbox/{blob} was deleted while it was being processed (version {etag.Trim('"')})")
        : new SourceSupersededException($"inbox/{blob} was re-uploaded while it was being processed: this run (version {etag.Trim('"')}) is superseded by the newer version");
}

/// <summary>A newer upload replaced the source: the run for it takes over; this one must not publish.</summary>
public sealed class SourceSupersededException(string message) : SourceChangedException(message);

/// <summary>The source was deleted from inbox/ during the run.</summary>
public sealed class SourceDeletedException(string message) : SourceChangedException(message);
