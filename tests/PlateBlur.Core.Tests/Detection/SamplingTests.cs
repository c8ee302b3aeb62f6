using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;

namespace PlateBlur.Core.Tests.Detection;

/// <summary>The image sources gather their samples from positions computed once per resize. They must give exactly what the plain
/// per-pixel, per-tap computation gives (written out below as the reference), so the detector sees the same pixels as before.</summary>
public class SamplingTests
{
    [Theory]
    [InlineData(1280, 720)]
    [InlineData(961, 541)]
    [InlineData(1920, 1080)]
    [InlineData(33, 17)]
    public void Yuv_and_rgba_resizes_equal_the_per_pixel_reference_for_any_region(int width, int height)
    {
        var rnd = new Random(width * 7919 + height);
        using var frame = new YuvFrame(width, height, 0, 0);
        rnd.NextBytes(frame.Data);
        var rgba = new byte[width * height * 4];
        rnd.NextBytes(rgba);
        var yuv = new YuvImageSource(frame);
        var photo = new RgbaImageSource(rgba, width, height);
        // The whole frame into the 800-px input (2 taps across), a native tile (1 tap), the coarse pass (4 taps), and random regions,
        // some reaching outside the picture (clamped) and some enlarged.
        var cases = new List<(BoxF Region, int W, int H)>
        {
            (new BoxF(0, 0, width, height), Math.Min(800, width), Math.Max(1, (int)(Math.Min(800, width) * (float)height / width))),
            (new BoxF(0, 0, Math.Min(800, width), height), Math.Min(800, width), height),
            (new BoxF(0, 0, width, height), 160, 90),
        };
        for (int i = 0; i < 25; i++)
            cases.Add((new BoxF((float)(rnd.NextDouble() * width - width * 0.1), (float)(rnd.NextDouble() * height - height * 0.1),
                (float)(rnd.NextDouble() * width + 2), (float)(rnd.NextDouble() * height + 2)), rnd.Next(1, 400), rnd.Next(1, 400)));
        foreach (var (region, w, h) in cases)
        {
            var got = new byte[3 * w * h];
            yuv.ResizeToRgb(region, w, h, got);
            Assert.True(got.AsSpan().SequenceEqual(ReferenceYuv(frame, region, w, h)), $"YUV {width}x{height}: {region} -> {w}x{h}");
            photo.ResizeToRgb(region, w, h, got);
            Assert.True(got.AsSpan().SequenceEqual(ReferenceRgba(rgba, width, height, region, w, h)), $"RGBA {width}x{height}: {region} -> {w}x{h}");
        }
    }

    [Fact]
    public void The_division_free_average_is_exact_for_every_sum_of_up_to_16_samples()
    {
        for (int taps = 1; taps <= 16; taps++)
        {
            int inverse = Sampling.Inverse(taps);
            for (int sum = 0; sum <= 16 * 255; sum++)
                if ((sum * inverse) >> 16 != sum / taps) Assert.Fail($"{sum} / {taps}: {(sum * inverse) >> 16}, not {sum / taps}");
        }
    }

    [Fact]
    public void Every_luma_with_the_extreme_chroma_converts_as_the_reference()
    {
        // The conversion's extremes lie at the corners of the chroma range (it is linear in U and V); the clamping table must hold them.
        foreach (var (u, v) in new[] { (0, 0), (0, 255), (255, 0), (255, 255), (128, 128) })
        {
            using var frame = new YuvFrame(256, 2, 0, 0);
            for (int x = 0; x < 256; x++) { frame.Y[x] = (byte)x; frame.Y[256 + x] = (byte)x; }
            frame.U.Fill((byte)u); frame.V.Fill((byte)v);
            var region = new BoxF(0, 0, 256, 2);
            var got = new byte[3 * 256 * 2];
            new YuvImageSource(frame).ResizeToRgb(region, 256, 2, got);
            Assert.True(got.AsSpan().SequenceEqual(ReferenceYuv(frame, region, 256, 2)), $"U {u}, V {v}");
        }
    }

    [Fact]
    public void A_flat_yuv_frame_gives_its_bt601_colour_everywhere()
    {
        using var frame = new YuvFrame(64, 48, 0, 0);
        frame.Y.Fill(81); frame.U.Fill(90); frame.V.Fill(240); // BT.601 limited-range red
        var rgb = new byte[3 * 20 * 10];
        new YuvImageSource(frame).ResizeToRgb(new BoxF(-5, -5, 80, 60), 20, 10, rgb);
        for (int i = 0; i < rgb.Length; i += 3)
        {
            Assert.InRange(rgb[i], 250, 255);
            Assert.InRange(rgb[i + 1], 0, 5);
            Assert.InRange(rgb[i + 2], 0, 5);
        }
    }

    [Fact]
    public void A_buffer_too_small_for_the_output_is_refused()
    {
        using var frame = new YuvFrame(64, 48, 0, 0);
        Assert.Throws<ArgumentException>(() => new YuvImageSource(frame).ResizeToRgb(new BoxF(0, 0, 64, 48), 32, 24, new byte[3 * 32 * 24 - 1]));
    }

    private static int Taps(float step) => Math.Clamp((int)MathF.Ceiling(step), 1, 4);
    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    private static byte[] ReferenceYuv(YuvFrame frame, BoxF region, int dstW, int dstH)
    {
        var rgb = new byte[3 * dstW * dstH];
        var y = frame.Y; var u = frame.U; var v = frame.V;
        int w = frame.Width, h = frame.Height, cw = frame.ChromaWidth;
        float sx = region.W / dstW, sy = region.H / dstH;
        int tx = Taps(sx), ty = Taps(sy), taps = tx * ty;
        for (int j = 0; j < dstH; j++)
            for (int i = 0; i < dstW; i++)
            {
                int ys = 0, us = 0, vs = 0;
                for (int b = 0; b < ty; b++)
                {
                    int py = Math.Clamp((int)(region.Y + (j + (b + 0.5f) / ty) * sy), 0, h - 1);
                    for (int a = 0; a < tx; a++)
                    {
                        int px = Math.Clamp((int)(region.X + (i + (a + 0.5f) / tx) * sx), 0, w - 1);
                        ys += y[py * w + px];
                        us += u[(py >> 1) * cw + (px >> 1)];
                        vs += v[(py >> 1) * cw + (px >> 1)];
                    }
                }
                int c = (ys / taps - 16) * 298, d = us / taps - 128, e = vs / taps - 128;
                int o = (j * dstW + i) * 3;
                rgb[o] = Clamp((c + 409 * e + 128) >> 8);
                rgb[o + 1] = Clamp((c - 100 * d - 208 * e + 128) >> 8);
                rgb[o + 2] = Clamp((c + 516 * d + 128) >> 8);
            }
        return rgb;
    }

    private static byte[] ReferenceRgba(byte[] rgba, int width, int height, BoxF region, int dstW, int dstH)
    {
        var rgb = new byte[3 * dstW * dstH];
        float sx = region.W / dstW, sy = region.H / dstH;
        int tx = Taps(sx), ty = Taps(sy), taps = tx * ty;
        for (int j = 0; j < dstH; j++)
            for (int i = 0; i < dstW; i++)
            {
                int r = 0, g = 0, b = 0;
                for (int bb = 0; bb < ty; bb++)
                {
                    int py = Math.Clamp((int)(region.Y + (j + (bb + 0.5f) / ty) * sy), 0, height - 1);
                    for (int a = 0; a < tx; a++)
                    {
                        int px = Math.Clamp((int)(region.X + (i + (a + 0.5f) / tx) * sx), 0, width - 1);
                        int p = (py * width + px) * 4;
                        r += rgba[p]; g += rgba[p + 1]; b += rgba[p + 2];
                    }
                }
                int o = (j * dstW + i) * 3;
                rgb[o] = (byte)(r / taps); rgb[o + 1] = (byte)(g / taps); rgb[o + 2] = (byte)(b / taps);
            }
        return rgb;
    }
}
