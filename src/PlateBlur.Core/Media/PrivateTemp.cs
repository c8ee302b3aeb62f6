using System.Diagnostics;

namespace PlateBlur.Core.Media;

/// <summary>Owner-only folders in the temporary folder, named after the process that made them
/// (<c>plateblur-&lt;purpose&gt;-&lt;pid&gt;-&lt;random&gt;</c>), so that one left behind by a process that was killed
/// (a crash, <c>kill -9</c>, a host restart) can be told apart from one in use and removed by the next PlateBlur process.
/// They hold what must not lie about: a review's un-anonymized source, ffmpeg's report naming a source URL with its SAS.</summary>
public static class PrivateTemp
{
    private const string Prefix = "plateblur-";

    /// <summary>The purposes in use: this process's short-lived files (ffmpeg reports), and the review page's copies.</summary>
    public const string ProcessFiles = "proc", Review = "review";

    /// <summary>Creates a new folder readable by this user only (0700 on Unix).</summary>
    public static DirectoryInfo Create(string purpose) =>
        Directory.CreateTempSubdirectory($"{Prefix}{purpose}-{Environment.ProcessId}-"); // CreateTempSubdirectory makes it 0700

    private static readonly Lazy<string> ProcessFolder = new(() =>
    {
        string dir = Create(ProcessFiles).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    });

    /// <summary>A folder for this process's short-lived private files, made on first use and removed when the process exits.
    /// Left behind only if the process is killed; <see cref="SweepStale"/> removes it then.</summary>
    public static string ForThisProcess => ProcessFolder.Value;

    /// <summary>Removes the folders of the given purposes left by processes that no longer run; returns how many it removed.
    /// Folders of live processes, of other users (which this user cannot remove) and of other names are left alone.</summary>
    public static int SweepStale(params string[] purposes)
    {
        int removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            if (OwnerPid(Path.GetFileName(dir), purposes) is not { } pid || pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { Directory.Delete(dir, true); removed++; }
            catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>The process id in a name this class made for one of the purposes, or null.</summary>
    public static int? OwnerPid(string name, IEnumerable<string> purposes)
    {
        foreach (var purpose in purposes)
        {
            string head = $"{Prefix}{purpose}-";
            if (!name.StartsWith(head, StringComparison.Ordinal)) continue;
            var rest = name.AsSpan(head.Length);
            int dash = rest.IndexOf('-');
            if (dash > 0 && int.TryParse(rest[..dash], System.Globalization.NumberStyles.None, null, out int pid) && pid > 0) return pid;
        }
        return null;
    }

    private static bool IsRunning(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
