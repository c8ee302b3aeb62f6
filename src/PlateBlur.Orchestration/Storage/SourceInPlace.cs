using PlateBlur.Core.Media;

namespace PlateBlur.Orchestration.Storage;

/// <summary>What Probe learned about a video source, stored in work/ (<see cref="WorkNames.SourceFacts"/>) so the activities that read the
/// source in place need neither download nor probe nor scan it again.</summary>
/// <param name="Container">The container sniffed from the source's first bytes: forced on ffmpeg for every read.</param>
/// <param name="Info">The probe (its Path is a local stand-in's and means nothing outside Probe).</param>
/// <param name="SideRanges">For an MP4/MOV read through a stand-in: the byte ranges ([offset, length]) of every packet of the streams other than
/// the video (audio, subtitles), so Stitch fetches those bytes only; null: Stitch reads the source in place.</param>
public sealed record SourceFacts(ContainerKind Container, MediaInfo Info, FrameTimeline Timeline, IReadOnlyList<long[]>? SideRanges = null);

/// <summary>Reading an inbox source where it lies instead of downloading it: ffmpeg opens a read-only SAS URL of the one blob (made here from our
/// own client, never taken from input) with range requests, and Probe reads an MP4/MOV's timeline from a local stand-in holding only its boxes.</summary>
public static class SourceInPlace
{
    /// <summary>How long a read URL is valid: the longest activity that reads the source (a segment) must end inside it.</summary>
    public static readonly TimeSpan UrlLifetime = TimeSpan.FromHours(2);

    /// <summary>The first bytes read to sniff the container (and, for an MP4/MOV whose index comes first, usually the whole index).</summary>
    public const int HeadBytes = 64 << 10;

    /// <summary>Media data kept at the start of an MP4/MOV stand-in: enough for the first frames, from which ffprobe learns the pixel format, profile and level.</summary>
    public const int DataBytes = 128 << 10;

    /// <summary>Stores what Probe learned about the source (work/&lt;id&gt;/source.json) for the activities that read it in place.</summary>
    public static Task WriteFactsAsync(BlobStore blobs, string instanceId, SourceFacts facts, CancellationToken ct) =>
        blobs.UploadTextAsync(System.Text.Json.JsonSerializer.Serialize(facts), Containers.Work, WorkNames.SourceFacts(instanceId), ct);

    /// <summary>What Probe stored about the source of run <paramref name="instanceId"/>.</summary>
    public static async Task<SourceFacts> ReadFactsAsync(BlobStore blobs, string instanceId, CancellationToken ct) =>
        System.Text.Json.JsonSerializer.Deserialize<SourceFacts>(await blobs.ReadTextAsync(Containers.Work, WorkNames.SourceFacts(instanceId), ct))
            ?? throw new InvalidDataException($"{Containers.Work}/{WorkNames.SourceFacts(instanceId)} is empty.");

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
    /// <param name="dataBytes">Media data to keep at the start of mdat (<see cref="DataBytes"/> for a probe; 0 when no frame will be decoded).</param>
    public static async Task<bool> TryWriteIsoStandInAsync(BlobStore blobs, string blobName, string etag, long length, byte[] head, string path, CancellationToken ct,
        int dataBytes = DataBytes)
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
            long want = box.Type == "mdat" ? Math.Min(box.Size, Math.Max(16, dataBytes)) : box.Size; // mdat's own header always: it says where the next box is
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

    /// <summary>The byte ranges of the packets of every stream but the video, from a stand-in's index (ffprobe reads their places without their
    /// data), merged where they touch or are at most <paramref name="gap"/> bytes apart.</summary>
    public static async Task<List<long[]>> SideRangesAsync(string standIn, MediaInfo info, CancellationToken ct, long gap = 0)
    {
        var indices = info.Audio.Select(a => a.Index)
            .Concat(info.OtherStreams.Select(o => int.Parse(o.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture)))
            .Where(i => i != info.Video?.Index).Distinct().ToList();
        var spans = new List<(long Offset, long Length)>();
        foreach (var i in indices)
        {
            var packets = await FFMpegCore.FFProbe.GetPacketsAsync(standIn, null, $"{MediaGuard.InputArguments(standIn)} -select_streams {i}", ct);
            foreach (var p in packets.Packets)
                if (p.Pos >= 0 && p.Size > 0) spans.Add((p.Pos, p.Size));
        }
        var merged = new List<long[]>();
        foreach (var (offset, length) in spans.OrderBy(x => x.Offset))
        {
            if (merged.Count > 0 && offset <= merged[^1][0] + merged[^1][1] + gap)
                merged[^1][1] = Math.Max(merged[^1][1], offset + length - merged[^1][0]);
            else merged.Add([offset, length]);
        }
        return merged;
    }

    /// <summary>Writes a stand-in whose side streams (audio, subtitles) hold their real bytes: the boxes as Probe read them, then every range
    /// of <paramref name="ranges"/> fetched with ranged reads, a few at a time. ffmpeg can then copy those streams from the local file.</summary>
    public static async Task<bool> TryWriteSideStandInAsync(BlobStore blobs, string blobName, string etag, long length, IReadOnlyList<long[]> ranges, string path, CancellationToken ct)
    {
        var head = await blobs.ReadRangeAsync(Containers.Inbox, blobName, 0, 4096, etag, ct);
        if (!await TryWriteIsoStandInAsync(blobs, blobName, etag, length, head, path, ct, dataBytes: 0)) return false;
        var parts = new System.Collections.Concurrent.ConcurrentBag<(long Offset, byte[] Bytes)>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(ranges.Select(async r =>
        {
            await gate.WaitAsync(ct);
            try
            {
                for (long o = r[0]; o < r[0] + r[1]; o += 4 << 20)
                    parts.Add((o, await blobs.ReadRangeAsync(Containers.Inbox, blobName, o, (int)Math.Min(4 << 20, r[0] + r[1] - o), etag, ct)));
            }
            finally { gate.Release(); }
        }));
        await using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
        foreach (var (offset, bytes) in parts)
        {
            f.Position = offset;
            await f.WriteAsync(bytes, ct);
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
