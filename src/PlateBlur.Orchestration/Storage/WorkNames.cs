using System.Globalization;
using System.Text.RegularExpressions;

namespace PlateBlur.Orchestration.Storage;

/// <summary>Deterministic names under work/&lt;instanceId&gt;/, so a retried activity overwrites instead of duplicating.</summary>
public static partial class WorkNames
{
    /// <summary>Azure's limit on a blob name.</summary>
    public const int MaxBlobName = 1024;

    /// <summary>The longest suffix PlateBlur adds to a source name: a media extension (".mp4") and ".report.json".</summary>
    public const int LongestSuffix = 4 + 12;

    /// <summary>The longest source name PlateBlur accepts: every name it derives from it stays within <see cref="MaxBlobName"/>.</summary>
    public const int MaxSourceName = MaxBlobName - LongestSuffix;

    public static string Prefix(string instanceId) => $"{instanceId}/";
    public static string SplitSegment(string instanceId, int index) => $"{instanceId}/split/seg-{index:0000}.nut";
    public static string SegmentVideo(string instanceId, int index) => $"{instanceId}/out/seg-{index:0000}.mp4";
    public static string SegmentMasks(string instanceId, int index) => $"{instanceId}/out/seg-{index:0000}.masks.json";
    public static string Result(string instanceId, string outputName) => $"{instanceId}/result/{Path.GetFileName(outputName)}";
    public static string Report(string instanceId) => $"{instanceId}/result/report.json";
    public static string ContactSheet(string instanceId) => $"{instanceId}/result/qc.png";
    /// <summary>The edits of inbox/&lt;source&gt;, in the edits container.</summary>
    public static string EditsFor(string sourceBlob) => sourceBlob + ".edits.json";
    /// <summary>The edits resolved by Probe (every region's box per frame), read by the segments, the photo activity and Stitch.</summary>
    public static string ResolvedEdits(string instanceId) => $"{instanceId}/edits.resolved.json";
    /// <summary>The source's probe and frame timeline, written once by Probe for the activities that read the source in place.</summary>
    public static string SourceFacts(string instanceId) => $"{instanceId}/source.json";
    /// <summary>Track ids of segment <paramref name="index"/> start here (each segment has its own block, so ids never repeat in a report
    /// and are the same on every run of the same source with the same settings).</summary>
    public static int FirstTrackId(int index) => checked(index * TrackIdsPerSegment + 1);
    public const int TrackIdsPerSegment = 100_000;

    /// <summary>work/ledger/&lt;id&gt;.json: written when an orchestration ends, so no later sweep (or restarted host) runs that blob version again.</summary>
    public static string Ledger(string instanceId) => $"ledger/{instanceId}.json";

    /// <summary>work/locks/&lt;id&gt;: the blob whose lease the host running that orchestration holds.</summary>
    public static string Lock(string instanceId) => $"locks/{instanceId}";

    /// <summary>Blob names PlateBlur refuses to process: they could escape a folder or be read differently when mirrored to a disk or URL,
    /// would display misleadingly, or would give output names over Azure's limit. Null when the name is safe.</summary>
    public static string? Unsafe(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "the blob name is empty";
        if (name.Length > MaxSourceName)
            return $"the blob name is {name.Length:N0} characters long; PlateBlur accepts at most {MaxSourceName:N0} so that its output names (+\".mp4\", +\".report.json\") stay within Azure's {MaxBlobName:N0}";
        foreach (var (c, i) in name.Select((c, i) => (c, i)))
        {
            if (char.IsControl(c)) return $"the blob name contains control character U+{(int)c:X4} at position {i}";
            if (c is '\u202A' or '\u202B' or '\u202C' or '\u202D' or '\u202E' or '\u2066' or '\u2067' or '\u2068' or '\u2069' or '\u200E' or '\u200F' or '\u061C')
                return $"the blob name contains bidirectional control character U+{(int)c:X4} at position {i} (it can make a name display as something else)";
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format) return $"the blob name contains invisible format character U+{(int)c:X4} at position {i}";
            if (char.IsHighSurrogate(c) ? i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]) : char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(name[i - 1])))
                return $"the blob name contains an unpaired surrogate at position {i}";
            if (c is '\uFFFD' or '\uFFFE' or '\uFFFF') return $"the blob name contains U+{(int)c:X4} (not a character)";
        }
        if (name.Contains('\\')) return "the blob name contains a backslash (a path separator on Windows)";
        if (PercentEncoded().IsMatch(name)) return "the blob name contains a percent-encoded sequence (e.g. %2e, %2f) that tools may decode into another path";
        if (name.StartsWith('/') || name.Contains("//")) return "the blob name has an empty path segment";
        var parts = name.Split('/');
        if (parts.Any(p => p is "." or "..")) return "the blob name contains a '.' or '..' path segment";
        if (parts.Any(p => p.Length > 0 && p.All(ch => ch == '.'))) return "the blob name contains a path segment made only of dots";
        if (DriveLetter().IsMatch(parts[0])) return "the blob name starts with a drive letter (like C:)";
        if (parts.Any(p => p.EndsWith('.') || p.EndsWith(' '))) return "a path segment of the blob name ends with a dot or a space (Windows would drop it)";
        if (parts.Any(p => p.StartsWith(' '))) return "a path segment of the blob name starts with a space";
        return null;
    }

    [GeneratedRegex("%[0-9A-Fa-f]{2}")]
    private static partial Regex PercentEncoded();

    [GeneratedRegex("^[A-Za-z]:")]
    private static partial Regex DriveLetter();

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
