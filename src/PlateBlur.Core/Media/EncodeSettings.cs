using FFMpegCore;
using FFMpegCore.Enums;

namespace PlateBlur.Core.Media;

/// <summary>Video encoder settings; the same values drive the benchmark's plain re-encode baseline.</summary>
public sealed record EncodeSettings(string Encoder = "libx264", int? Crf = null, string Preset = "medium", int Threads = 0)
{
    public int EffectiveCrf => Crf ?? DefaultCrf(Encoder);

    public static int DefaultCrf(string encoder) => encoder switch { "libx265" => 24, "libvpx-vp9" => 32, _ => 20 };

    /// <summary>Adds the encoder's output options (codec, quality, pixel format, threads, speed), with FFMpegCore's typed arguments where
    /// it has them. Order: -c:v, -crf, -pix_fmt, -threads, then the encoder's own speed options.</summary>
    public FFMpegOutputOptions Apply(FFMpegOutputOptions o)
    {
        o.WithVideoCodec(Encoder);
        // FFMpegCore's typed CRF refuses values outside 0-63; any other value goes to the encoder as text, which decides as before.
        if (EffectiveCrf is >= 0 and <= 63) o.WithConstantRateFactor(EffectiveCrf);
        else o.WithCustomArgument($"-crf {EffectiveCrf}");
        o.WithPixelFormat("yuv420p");
        if (Threads > 0) o.WithThreads(Threads);
        switch (Encoder)
        {
            case "libvpx-vp9":
                // libvpx's speed options have no typed arguments (-deadline, -cpu-used, -row-mt); -b:v 0 (constant-quality mode)
                // stays with them as ffmpeg's own spelling.
                o.WithCustomArgument($"-b:v 0 -deadline good -cpu-used {(Preset is "ultrafast" or "superfast" or "veryfast" ? 8 : 4)} -row-mt 1");
                break;
            case "libx265":
                o.WithSpeedPreset(Preset);
                o.WithCustomArgument("-x265-params log-level=error"); // encoder-private option: no typed argument
                break;
            default:
                o.WithSpeedPreset(Preset);
                break;
        }
        return o;
    }
}
