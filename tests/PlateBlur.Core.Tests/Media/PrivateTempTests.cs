using System.Diagnostics;
using PlateBlur.Core.Media;

namespace PlateBlur.Core.Tests.Media;

/// <summary>Private temporary folders (a review's source copy, ffmpeg reports naming a SAS URL) are owner-only, and those left by a killed
/// process are removed by the next sweep while those of running processes stay.</summary>
public class PrivateTempTests
{
    [Fact]
    public void A_private_folder_is_owner_only_and_named_after_this_process()
    {
        var dir = PrivateTemp.Create("unittest");
        try
        {
            Assert.Equal(Environment.ProcessId, PrivateTemp.OwnerPid(dir.Name, ["unittest"]));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.FullName));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(PrivateTemp.ForThisProcess));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_sweep_removes_folders_of_ended_processes_only()
    {
        // A process that has ended: its pid names the "left behind" folder.
        using var ended = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        ended.WaitForExit();
        int deadPid = ended.Id;
        string tmp = Path.GetTempPath();
        string leftBehind = Directory.CreateDirectory(Path.Combine(tmp, $"plateblur-sweeptest-{deadPid}-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(leftBehind, "source.jpg"), "un-anonymized");
        var mine = PrivateTemp.Create("sweeptest");
        string otherPurpose = Directory.CreateDirectory(Path.Combine(tmp, $"plateblur-sweeptestother-{deadPid}-{Guid.NewGuid():N}")).FullName;
        string notOurs = Directory.CreateDirectory(Path.Combine(tmp, $"plateblur-sweeptest-notapid-{Guid.NewGuid():N}")).FullName;
        try
        {
            int removed = PrivateTemp.SweepStale("sweeptest");
            Assert.True(removed >= 1, $"removed {removed}");
            Assert.False(Directory.Exists(leftBehind), "the folder of an ended process is still there");
            Assert.True(Directory.Exists(mine.FullName), "the folder of this (running) process was removed");
            Assert.True(Directory.Exists(otherPurpose), "a folder of another purpose was removed");
            Assert.True(Directory.Exists(notOurs), "a folder whose name holds no process id was removed");
        }
        finally
        {
            foreach (var d in new[] { leftBehind, mine.FullName, otherPurpose, notOurs })
                if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    [Theory]
    [InlineData("plateblur-review-123-abc", 123)]
    [InlineData("plateblur-proc-9-x1y2", 9)]
    [InlineData("plateblur-review-abc", null)]
    [InlineData("plateblur-review--5-x", null)]
    [InlineData("plateblur-work", null)]
    [InlineData("plateblur-reviewx-12-a", null)]
    public void Owner_pid_is_read_from_the_name_only(string name, int? pid) =>
        Assert.Equal(pid, PrivateTemp.OwnerPid(name, ["review", "proc"]));
}
