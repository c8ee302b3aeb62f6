using PlateBlur.Orchestration.Storage;

namespace PlateBlur.Orchestration.Tests;

/// <summary>Issue 13, item 5: each job's local work folder is its own and owner-only.</summary>
public class LocalWorkTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "plateblur-localwork-test-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string? _before = Environment.GetEnvironmentVariable("PLATEBLUR_WORK_DIR");

    public LocalWorkTests() => Environment.SetEnvironmentVariable("PLATEBLUR_WORK_DIR", _root);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PLATEBLUR_WORK_DIR", _before);
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    [Fact]
    public void Each_instance_has_its_own_owner_only_folder()
    {
        if (OperatingSystem.IsWindows()) return;
        using var a = new LocalWork("pb-aaaa", "Probe");
        using var b = new LocalWork("pb-bbbb", "Probe");
        File.WriteAllText(a.File("source.mp4"), "frames of job a");
        Assert.NotEqual(a.InstancePath, b.InstancePath);
        Assert.False(a.Path.StartsWith(b.InstancePath + Path.DirectorySeparatorChar), "job a works inside job b's folder");
        Assert.Empty(Directory.EnumerateFileSystemEntries(b.InstancePath, "*", SearchOption.AllDirectories).Where(p => p.Contains("source.mp4")));
        foreach (var dir in new[] { _root, a.InstancePath, a.Path, b.InstancePath, b.Path })
            Assert.Equal(LocalWork.Private, File.GetUnixFileMode(dir));
    }

    [Fact]
    public void A_folder_that_already_exists_with_wider_rights_is_made_private()
    {
        if (OperatingSystem.IsWindows()) return;
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(Path.Combine(_root, "pb-cccc"));
        File.SetUnixFileMode(_root, open);
        File.SetUnixFileMode(Path.Combine(_root, "pb-cccc"), open);
        using var c = new LocalWork("pb-cccc", "Split");
        Assert.Equal(LocalWork.Private, File.GetUnixFileMode(_root));
        Assert.Equal(LocalWork.Private, File.GetUnixFileMode(c.InstancePath));
    }

    [Fact]
    public void Ids_that_sanitise_alike_never_share_a_folder_and_cleanup_removes_only_its_own()
    {
        Assert.NotEqual(LocalWork.FolderName("a/b"), LocalWork.FolderName("a_b"));
        Assert.Equal("pb-0123", LocalWork.FolderName("pb-0123"));
        using var x = new LocalWork("pb-x", "Stitch");
        using var y = new LocalWork("pb-y", "Stitch");
        LocalWork.RemoveInstance("pb-x");
        Assert.False(Directory.Exists(x.InstancePath));
        Assert.True(Directory.Exists(y.Path));
    }
}
