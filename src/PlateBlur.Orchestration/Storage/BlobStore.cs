using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace PlateBlur.Orchestration.Storage;

/// <summary>The pipeline's containers over Azure Blob Storage (Azurite locally): download to and upload from local files, copy, delete.</summary>
public sealed class BlobStore(BlobServiceClient service)
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
    }

    /// <summary>Downloads an inbox blob into a local work folder under a safe name (never the blob's own path) and returns the local path.</summary>
    public async Task<string> DownloadSourceAsync(string blobName, LocalWork work, CancellationToken ct = default)
    {
        string path = work.File(WorkNames.LocalName("source", blobName));
        await DownloadAsync(Containers.Inbox, blobName, path, ct);
        return path;
    }

    public async Task UploadAsync(string localPath, string container, string name, string? contentType = null, CancellationToken ct = default)
    {
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType ?? ContentTypeOf(name) } };
        await Blob(container, name).UploadAsync(localPath, options, ct);
    }

    public async Task UploadTextAsync(string text, string container, string name, CancellationToken ct = default)
    {
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(name) } };
        await Blob(container, name).UploadAsync(BinaryData.FromString(text), options, ct);
    }

    public async Task<string> ReadTextAsync(string container, string name, CancellationToken ct = default) =>
        (await Blob(container, name).DownloadContentAsync(ct)).Value.Content.ToString();

    /// <summary>Server-side copy inside the account, waiting until it completes.</summary>
    public async Task CopyAsync(string fromContainer, string fromName, string toContainer, string toName, CancellationToken ct = default)
    {
        var target = Blob(toContainer, toName);
        var op = await target.StartCopyFromUriAsync(Blob(fromContainer, fromName).Uri, cancellationToken: ct);
        await op.WaitForCompletionAsync(ct);
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

    public IAsyncEnumerable<BlobItem> ListAsync(string container, string? prefix = null, CancellationToken ct = default) =>
        service.GetBlobContainerClient(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct);

    public static string ContentTypeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => "video/mp4", ".mov" => "video/quicktime", ".mkv" => "video/x-matroska", ".webm" => "video/webm",
        ".avi" => "video/x-msvideo", ".jpg" or ".jpeg" => "image/jpeg", ".png" => "image/png", ".webp" => "image/webp",
        ".json" => "application/json", _ => "application/octet-stream",
    };
}
