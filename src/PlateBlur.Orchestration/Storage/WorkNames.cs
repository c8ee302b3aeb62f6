namespace PlateBlur.Orchestration.Storage;

/// <summary>Deterministic names under work/&lt;instanceId&gt;/, so a retried activity overwrites instead of duplicating.</summary>
public static class WorkNames
{
    public static string Prefix(string instanceId) => $"{instanceId}/";
    public static string SplitSegment(string instanceId, int index) => $"{instanceId}/split/seg-{index:0000}.nut";
    public static string SegmentVideo(string instanceId, int index) => $"{instanceId}/out/seg-{index:0000}.mp4";
    public static string SegmentMasks(string instanceId, int index) => $"{instanceId}/out/seg-{index:0000}.masks.json";
    public static string Result(string instanceId, string outputName) => $"{instanceId}/result/{Path.GetFileName(outputName)}";
    public static string Report(string instanceId) => $"{instanceId}/result/report.json";
    public static string ContactSheet(string instanceId) => $"{instanceId}/result/qc.png";

    /// <summary>Blob names PlateBlur refuses to process (they could escape a folder when mirrored to disk, or are not printable).</summary>
    public static string? Unsafe(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "the blob name is empty";
        if (name.Length > 1024) return "the blob name is longer than 1024 characters";
        var parts = name.Split('/');
        if (parts.Any(p => p is "." or "..")) return "the blob name contains a '.' or '..' path segment";
        if (name.StartsWith('/') || name.Contains("//")) return "the blob name has an empty path segment";
        if (name.Any(char.IsControl)) return "the blob name contains control characters";
        return null;
    }

    /// <summary>The output name for a source: same relative path, with a media extension added when the source has none PlateBlur writes.</summary>
    public static string OutputName(string sourceBlob, string kind)
    {
        string ext = Path.GetExtension(sourceBlob).ToLowerInvariant();
        bool known = kind == "photo" ? Core.Media.Photo.IsPhotoExtension(ext) : Core.Media.OutputPlan.IsVideoExtension(ext);
        return known ? sourceBlob : sourceBlob + (kind == "photo" ? ".jpg" : ".mp4");
    }

    /// <summary>A local file name for a blob that never uses the blob's path (only a safe extension).</summary>
    public static string LocalName(string stem, string blobName)
    {
        string ext = Path.GetExtension(blobName);
        return stem + (ext.Length is > 1 and <= 6 && ext.Skip(1).All(char.IsAsciiLetterOrDigit) ? ext.ToLowerInvariant() : "");
    }
}
