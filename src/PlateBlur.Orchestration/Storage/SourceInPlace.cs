using PlateBlur.Core.Media;

namespace PlateBlur.Orchestration.Storage;

/// <summary>What Probe learned about a video source, stored in work/ (<see cref="WorkNames.SourceFacts"/>) so the activities that read the
/// source in place need neither download nor probe nor scan it again.</summary>
/// <param name="Container">The container sniffed from the source's first bytes: forced on ffmpeg for every read.</param>
/// <param name="Info">The probe (its Path is a local stand-in's and means nothing outside Probe).</param>
public sealed record SourceFacts(ContainerKind Container, MediaInfo Info, FrameTimeline Timeline);

/// <summary>Reading an inbox source where it lies instead of downloading it: ffmpeg opens a read-only SAS URL of the one blob (made here from our
/// own client, never taken from input) with range requests, and Probe reads an MP4/MOV's timeline from a local stand-in holding only its boxes.</summary>
public static class SourceInPlace
{
    /// <summary>How long a read URL is valid: the longest activity that reads the source (a segment) must end inside it.</summary>
    public static readonly TimeSpan UrlLifetime = TimeSpan.FromHours(2);

    /// <summary>The first bytes read to sniff the container (and, for an MP4/MOV whose index comes first, usually the whole index).</summary>
    public const int HeadBytes = 64 << 10;

    /// <summary>Media data kept at the start of an MP4/MOV stand-in: enough for the first frames, from which ffprobe learns the pixel format, profile and level.</summary>
    public const int DataBytes = 256 << 10;

    /// <summary>Lets ffmpeg read the source blob in place until disposed; returns the URL that stands for it as an input path.</summary>
    public static async Task<(string Url, IDisposable Registration)> OpenAsync(BlobStore blobs, string blobName, string? etag, ContainerKind container, long length, CancellationToken ct)
    {
        var url = await blobs.ReadUrlAsync(Containers.Inbox, blobName, UrlLifetime, ct);
        var registration = RemoteMedia.Register(new RemoteSource(url, container, blobName, length, etag));
        return (url.AbsoluteUri, registration);
    }

    /// <summary>Writes a local stand-in of an MP4/MOV blob: a sparse file of its length holding every top-level box but the media data (mdat),
    /// of which only the first <see cref="DataBytes"/> are copied; the rest stays a hole of zeros, never sent over the network. Returns false when
    /// the box layout is unusual (a box past the end, an unprintable type, a huge non-media box): the caller then downloads the whole source.</summary>
    public static async Task<bool> TryWriteIsoStandInAsync(BlobStore blobs, string blobName, string etag, long length, byte[] head, string path, CancellationToken ct)
    {
        await using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        f.SetLength(length);
        long pos = 0;
        for (int n = 0; pos < length; n++)
        {
            if (n == 10_000) return false;
            byte[] header = pos + 16 <= head.Length ? head[(int)pos..(int)(pos + 16)] : await blobs.ReadRangeAsync(Containers.Inbox, blobName, pos, 16, etag, ct);
            var box = IsoIndex.ReadHeader(header, pos, length);
            if (box == null) return false;
            if (box.Type != "mdat" && box.Size > 256L << 20) return false;
            long want = box.Type == "mdat" ? Math.Min(box.Size, DataBytes) : box.Size;
            long inHead = Math.Clamp(head.Length - pos, 0, want);
            f.Position = pos;
            if (inHead > 0) await f.WriteAsync(head.AsMemory((int)pos, (int)inHead), ct);
            if (want > inHead)
            {
                var rest = await blobs.ReadRangeAsync(Containers.Inbox, blobName, pos + inHead, (int)(want - inHead), etag, ct);
                if (rest.Length != want - inHead) return false;
                await f.WriteAsync(rest, ct);
            }
            pos += box.Size;
        }
        return true;
    }

    /// <summary>Turns a failed read of the source into <see cref="SourceChangedException"/> when the blob is no longer the run's version
    /// (ffmpeg sends If-Match: a re-upload fails its next range request); otherwise returns and the caller rethrows.</summary>
    public static async Task ThrowIfChangedAsync(BlobStore blobs, string blobName, string? etag, CancellationToken ct)
    {
        if (etag == null) return;
        var props = await blobs.PropertiesAsync(Containers.Inbox, blobName, ct);
        if (props == null || !BlobStore.IsVersion(props.ETag, etag)) throw SourceChangedException.For(blobName, etag, props == null);
    }
}
