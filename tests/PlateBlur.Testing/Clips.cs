namespace PlateBlur.Testing;

/// <summary>Short clips made with ffmpeg's test sources, for media behaviour that does not depend on what is in the picture.</summary>
public static class Clips
{
    /// <summary>Three parts at 30, 12 and 60 fps joined without resampling: a variable-frame-rate file with a continuous tone.</summary>
    public static string VariableFrameRate(string path)
    {
        TestEnv.Ffmpeg(
            "-f lavfi -i testsrc=s=320x240:r=30:d=2 -f lavfi -i testsrc=s=320x240:r=12:d=2 -f lavfi -i testsrc=s=320x240:r=60:d=2 " +
            "-f lavfi -i sine=f=440:d=6:sample_rate=48000 " +
            "-filter_complex \"[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]\" -map \"[v]\" -map 3:a -fps_mode vfr " +
            $"-c:v libx264 -preset veryfast -c:a aac -b:a 96k \"{path}\"");
        return path;
    }

    /// <summary>A constant-rate test clip with audio in the given container and codecs.</summary>
    public static string Make(string path, string videoCodec = "libx264", string audioCodec = "aac", double seconds = 2, int fps = 25, string size = "320x240", string extra = "")
    {
        string audio = audioCodec == "none" ? "" : $"-f lavfi -i sine=f=660:d={seconds}:sample_rate=48000";
        string audioMap = audioCodec == "none" ? "-an" : $"-map 1:a -c:a {audioCodec}";
        TestEnv.Ffmpeg($"-f lavfi -i testsrc=s={size}:r={fps}:d={seconds} {audio} -map 0:v -c:v {videoCodec} -pix_fmt yuv420p {audioMap} {extra} -shortest \"{path}\"");
        return path;
    }

    /// <summary>Per-frame presentation times of the first video stream, in seconds, as ffprobe reports them.</summary>
    public static List<double> VideoPts(string path) =>
        TestEnv.Ffprobe($"-select_streams v:0 -show_entries packet=pts_time -of csv=p=0 \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => double.Parse(s.TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();

    /// <summary>MD5 of the audio packets (stream copy), to prove audio went through untouched.</summary>
    public static string AudioMd5(string path) => TestEnv.Ffmpeg($"-i \"{path}\" -map 0:a:0 -c copy -f md5 -").Trim();

    public static string StreamField(string path, string selector, string field) =>
        TestEnv.Ffprobe($"-select_streams {selector} -show_entries stream={field} -of csv=p=0 \"{path}\"").Trim().TrimEnd(',');
}
