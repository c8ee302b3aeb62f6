using PlateBlur.Core.Detection;
using PlateBlur.Core.Media;
using PlateBlur.Testing;
using SkiaSharp;

namespace PlateBlur.Evaluation.Tests;

public class SyntheticClipTests
{
    [Fact]
    public void A_turned_plates_truth_is_the_upright_box_around_it()
    {
        var upright = SyntheticClips.TurnedBox(100, 50, 120, 40, 0);
        Assert.Equal((40f, 30f, 120f, 40f), (upright.X, upright.Y, upright.W, upright.H));
        var quarter = SyntheticClips.TurnedBox(100, 50, 120, 40, -90);
        Assert.Equal(40, quarter.W, 3);
        Assert.Equal(120, quarter.H, 3);
        var turned = SyntheticClips.TurnedBox(100, 50, 120, 40, 30);
        Assert.Equal(120 * Math.Cos(Math.PI / 6) + 40 * 0.5, turned.W, 3);
        Assert.Equal(120 * 0.5 + 40 * Math.Cos(Math.PI / 6), turned.H, 3);
        Assert.Equal(100, turned.CenterX, 3);
    }

    [Fact]
    public void Turning_changes_nothing_else_in_the_plan()
    {
        var photos = Enumerable.Range(0, 5).Select(i => new AnnotatedImage($"/photos/p{i}.jpg", [new BoxF(10 * i, 20, 80, 20)])).ToList();
        var upright = SyntheticClips.Plan(photos, 8, 42);
        var turned = SyntheticClips.Plan(photos, 8, 42, roll: 25);
        Assert.All(upright, r => Assert.Equal(0, r.Roll));
        Assert.Equal(turned.Select((r, k) => k % 2 == 0 ? 25.0 : -25.0), turned.Select(r => r.Roll));
        Assert.Equal(upright, turned.Select(r => r with { Roll = 0 }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public async Task The_rendered_plate_lies_inside_its_truth_box_and_fills_it(double roll)
    {
        using var dir = TestEnv.TempDir();
        // A dark photo with one white plate 60x20 in its middle.
        string photo = dir.File("plate.png");
        using (var bmp = new SKBitmap(200, 100))
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(new SKColor(40, 40, 40));
            using var white = new SKPaint { Color = SKColors.White };
            canvas.DrawRect(70, 40, 60, 20, white);
            using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
            await File.WriteAllBytesAsync(photo, data.ToArray());
        }
        var recipe = new ClipRecipe("turned", "plate.png", 6, 30, 320, 240, 40, 40, 160, 120, 160, 120,
            ShakePixels: 0, BlurSamples: 1, BlurExposure: 0, Gain: 1, Gamma: 1, Crf: 10, Occlusion: null, Seed: 1, Roll: roll);
        string video = dir.File("turned.mp4");
        var truth = await SyntheticClips.RenderAsync(recipe, new AnnotatedImage(photo, [new BoxF(70, 40, 60, 20)]), video);

        var box = truth.Single(t => t.Frame == 0).Box;
        var expected = SyntheticClips.TurnedBox(160, 120, 120, 40, roll); // scale 2: the plate is 120x40 in the clip
        Assert.Equal(expected.W, box.W, 2);
        Assert.Equal(expected.H, box.H, 2);

        var info = await MediaProbe.ProbeAsync(video);
        var timeline = await FrameTimeline.ScanAsync(video, info.RequireVideo());
        await foreach (var frame in FrameReader.ReadAsync(video, info.Video!, timeline, 0, 1))
        {
            using var f = frame;
            int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
            for (int y = 0; y < f.Height; y++)
                for (int x = 0; x < f.Width; x++)
                    if (f.Y[y * f.Width + x] > 180) { minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y); }
            // Every bright pixel inside the truth box (2 px for the codec), and the bright area spans it.
            Assert.InRange(minX, box.X - 2, box.X + 4);
            Assert.InRange(maxX, box.Right - 5, box.Right + 2);
            Assert.InRange(minY, box.Y - 2, box.Y + 4);
            Assert.InRange(maxY, box.Bottom - 5, box.Bottom + 2);
            // Turned, the plate leaves the box's corners dark; upright, it fills them.
            byte corner = f.Y[(int)(box.Y + 4) * f.Width + (int)(box.X + 4)];
            if (roll == 0) Assert.True(corner > 180, $"corner {corner}");
            else Assert.True(corner < 100, $"corner {corner}");
        }
    }
}
