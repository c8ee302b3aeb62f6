using PlateBlur.Core.Media;

namespace PlateBlur.Core.Tests.Media;

public class MatroskaPipeTests
{
    [Fact]
    public void Frames_and_exact_nanosecond_times_survive_a_write_read_round_trip()
    {
        var ms = new MemoryStream();
        var w = new MatroskaRawWriter(ms, 6, 4);
        long[] times = [0, 33_366_700, 66_733_400, 150_000_001];
        foreach (var (t, i) in times.Select((t, i) => (t, i)))
        {
            using var f = new YuvFrame(6, 4, i, t);
            f.Data.Fill((byte)(10 + i));
            w.WriteFrame(f);
        }
        ms.Position = 0;
        var r = new MatroskaRawReader(ms);
        for (int i = 0; i < times.Length; i++)
        {
            using var f = r.ReadFrame();
            Assert.NotNull(f);
            Assert.Equal(times[i], f!.PtsNs);
            Assert.Equal(6, f.Width);
            Assert.All(f.Data.ToArray(), b => Assert.Equal(10 + i, b));
        }
        Assert.Null(r.ReadFrame());
    }

    [Fact]
    public void Odd_frame_sizes_round_chroma_up()
    {
        Assert.Equal(5 * 3 + 2 * 3 * 2, YuvFrame.SizeOf(5, 3));
    }
}
