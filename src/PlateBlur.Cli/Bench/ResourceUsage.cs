using System.Runtime.InteropServices;

namespace PlateBlur.Cli.Bench;

/// <summary>CPU seconds and peak resident memory of finished child processes (getrusage RUSAGE_CHILDREN), Linux only.</summary>
public static partial class ResourceUsage
{
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec, MaxRssKb;
        public long Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRUsage(int who, out RUsage usage);

    private const int Children = -1;

    /// <summary>Total CPU seconds of all children waited for so far.</summary>
    public static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() || GetRUsage(Children, out var u) != 0) return double.NaN;
        return u.UtimeSec + u.UtimeUsec / 1e6 + u.StimeSec + u.StimeUsec / 1e6;
    }
}
