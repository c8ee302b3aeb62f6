using System.Security.Cryptography;
using System.Text;

namespace PlateBlur.Orchestration.Storage;

/// <summary>A private local folder for one activity run, removed when the activity ends: &lt;root&gt;/&lt;instance&gt;/&lt;activity&gt;-&lt;guid&gt;/.
/// Each instance has its own folder (a distinct name for every instance id) and every level is created owner-only (0700 on Unix), tightened
/// if it already existed with wider rights, so no other user, and no other job through a shared path, reads a job's frames.</summary>
public sealed class LocalWork : IDisposable
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>PLATEBLUR_WORK_DIR, or plateblur-work in the temporary folder.</summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("PLATEBLUR_WORK_DIR") is { Length: > 0 } w ? w : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "plateblur-work");

    public LocalWork(string instanceId, string activity, string? root = null)
    {
        Root = root ?? DefaultRoot;
        CreatePrivate(Root);
        InstancePath = System.IO.Path.Combine(Root, FolderName(instanceId));
        CreatePrivate(InstancePath);
        Path = System.IO.Path.Combine(InstancePath, $"{FolderName(activity)}-{Guid.NewGuid():N}");
        CreatePrivate(Path);
    }

    public string Root { get; }
    /// <summary>The folder of this job (instance) only.</summary>
    public string InstancePath { get; }
    /// <summary>The folder of this activity run only.</summary>
    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A folder name for an id: the id itself when it is plain, else a readable part plus a hash, so two ids never share a folder.</summary>
    public static string FolderName(string s)
    {
        string plain = new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(64).ToArray());
        return plain == s && s.Length > 0 ? s : $"{plain}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..16]}";
    }

    private static void CreatePrivate(string dir)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(dir); return; }
        Directory.CreateDirectory(dir, Private);
        if ((System.IO.File.GetUnixFileMode(dir) & ~Private) == 0) return;
        try { System.IO.File.SetUnixFileMode(dir, Private); }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"The work folder {dir} is readable by others and cannot be made private (owned by another user?); set PLATEBLUR_WORK_DIR to a folder of your own.", e);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        // An activity delivered again after its job's Cleanup (a duplicate of a message whose first run finished while storage was down)
        // recreated the job's folder: remove it when nothing else is in it (a sibling activity still running keeps it).
        try { if (!Directory.EnumerateFileSystemEntries(InstancePath).Any()) Directory.Delete(InstancePath, false); }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Removes an instance's folder once its orchestration has ended (Cleanup; no activity of it runs any more).</summary>
    public static void RemoveInstance(string instanceId)
    {
        try { Directory.Delete(System.IO.Path.Combine(DefaultRoot, FolderName(instanceId)), true); }
        catch (DirectoryNotFoundException) { } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
