using System.Runtime.InteropServices;

namespace PlateBlur.Core.Media;

/// <summary>Where a path really lands on disk, symbolic links resolved: two different strings can name the same file
/// (<c>alias/clip.mp4</c> where <c>alias</c> links to <c>real</c>), and only the resolved paths tell.</summary>
public static partial class FileIdentity
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr p);

    /// <summary>The canonical path of an existing file or folder (every link resolved), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full)) return null;
        if (OperatingSystem.IsWindows()) return ResolveManaged(full);
        IntPtr p = RealPathNative(full, IntPtr.Zero);
        if (p == IntPtr.Zero) return ResolveManaged(full);
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }

    /// <summary>Where a file written at <paramref name="path"/> lands: its folder resolved (the folder may be reached through links),
    /// plus its own name. Writing replaces the directory entry, so a final link is replaced, not followed.</summary>
    public static string WriteTarget(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        // The nearest existing ancestor resolves; folders still to be created are appended as given.
        var tail = new Stack<string>();
        tail.Push(Path.GetFileName(full));
        while (RealPath(dir) == null)
        {
            var parent = Path.GetDirectoryName(dir);
            if (parent == null) break;
            tail.Push(Path.GetFileName(dir));
            dir = parent;
        }
        string resolved = RealPath(dir) ?? dir;
        while (tail.Count > 0) resolved = Path.Combine(resolved, tail.Pop());
        return resolved;
    }

    /// <summary>True when writing <paramref name="output"/> would replace the bytes of <paramref name="input"/>.</summary>
    public static bool WouldOverwrite(string input, string output)
    {
        string? source = RealPath(input);
        return source != null && string.Equals(source, WriteTarget(output), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
    }

    private static string ResolveManaged(string full)
    {
        try { return new FileInfo(full).ResolveLinkTarget(true)?.FullName ?? full; }
        catch (IOException) { return full; }
    }
}
