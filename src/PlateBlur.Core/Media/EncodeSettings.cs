namespace PlateBlur.Core.Media;

/// <summary>Video encoder settings; the same values drive the benchmark's plain re-encode baseline.</summary>
public sealed record EncodeSettings(string Encoder = "libx264", int? Crf = null, string Preset = "medium", int Threads = 0)
{
    public int EffectiveCrf => Crf ?? DefaultCrf(Encoder);

    public static int DefaultCrf(string encoder) => encoder switch { "libx265" => 24, "libvpx-vp9" => 32, _ => 20 };

    /// <summary>ffmpeg output arguments for the encoder (codec, quality, speed, pixel format).</summary>
    public string Arguments(string stream = "v")
    {
        var common = $"-c:{stream} {Encoder} -crf {EffectiveCrf} -pix_fmt yuv420p" + (Threads > 0 ? $" -threads {Threads}" : "");
        return Encoder switch
        {
            "libvpx-vp9" => common + $" -b:{stream} 0 -deadline good -cpu-used {(Preset is "ultrafast" or "superfast" or "veryfast" ? 8 : 4)} -row-mt 1",
            "libx265" => common + $" -preset {Preset} -x265-params log-level=error",
            _ => common + $" -preset {Preset}",
        };
    }
}
