namespace PlateBlur.Orchestration.Storage;

/// <summary>A private local folder for one activity run, removed when the activity ends.</summary>
public sealed class LocalWork : IDisposable
{
    public LocalWork(string instanceId, string activity)
    {
        string root = Environment.GetEnvironmentVariable("PLATEBLUR_WORK_DIR") is { Length: > 0 } w ? w : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "plateblur-work");
        Path = System.IO.Path.Combine(root, Sanitize(instanceId), $"{activity}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    private static string Sanitize(string s) => new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
