using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tests.Detection;

using Detection = PlateBlur.Core.Detection.Detection;

public class GeometryTests
{
    [Fact]
    public void Centred_letterbox_of_720p_into_640_scales_by_half_and_pads_140_rows()
    {
        var lb = Letterbox.For(new BoxF(0, 0, 1280, 720), 640, centered: true);
        Assert.Equal(0.5f, lb.Scale);
        Assert.Equal(0, lb.PadX);
        Assert.Equal(140, lb.PadY);
        Assert.Equal(new PointF(0, 0), lb.ToSource(0, 140));
        Assert.Equal(new PointF(1280, 720), lb.ToSource(640, 500));
        Assert.Equal(new PointF(200, 100), lb.ToSource(100, 190));
    }

    [Fact]
    public void Top_left_letterbox_of_a_tile_maps_back_with_the_tile_offset()
    {
        var lb = Letterbox.For(new BoxF(320, 40, 320, 160), 416, centered: false);
        Assert.Equal(1.3f, lb.Scale, 4);
        Assert.Equal(0, lb.PadY);
        var p = lb.ToSource(130, 13);
        Assert.Equal(420, p.X, 3);
        Assert.Equal(50, p.Y, 3);
    }

    [Fact]
    public void Merge_keeps_the_union_of_overlapping_boxes_and_separate_boxes_apart()
    {
        var merged = Nms.Merge([
            new Detection(new BoxF(0, 0, 10, 10), 0.9f),
            new Detection(new BoxF(2, 0, 10, 10), 0.5f),     // IoU 0.67 -> merged, widening to 12
            new Detection(new BoxF(1, 1, 4, 4), 0.3f),       // inside the first -> merged
            new Detection(new BoxF(50, 50, 10, 10), 0.4f),
        ]);
        Assert.Equal(2, merged.Count);
        Assert.Equal(new BoxF(0, 0, 12, 10), merged[0].Box);
        Assert.Equal(0.9f, merged[0].Score);
    }

    [Fact]
    public void Tiles_cover_720p_in_one_row_and_1080p_in_two()
    {
        var t720 = FrameScanner.TileGrid(1280, 720, 640, 0.25f);
        Assert.Equal(3, t720.Count);
        Assert.All(t720, t => Assert.Equal(720, t.H));
        Assert.Equal(1280, t720.Max(t => t.Right));
        var t1080 = FrameScanner.TileGrid(1920, 1080, 640, 0.25f);
        Assert.Equal(8, t1080.Count);
        Assert.Equal(1080, t1080.Max(t => t.Bottom));
        // Every point of the frame lies in some tile, and neighbours overlap by at least a quarter tile.
        for (int x = 0; x < 1920; x += 37) for (int y = 0; y < 1080; y += 29)
            Assert.Contains(t1080, t => x >= t.X && x < t.Right && y >= t.Y && y < t.Bottom);
        Assert.Empty(FrameScanner.TileGrid(640, 480, 640, 0.25f));
    }

    [Fact]
    public void Rotated_view_maps_display_boxes_back_to_stored_pixels()
    {
        var src = new RgbaImageSource(new byte[200 * 100 * 4], 200, 100);
        var r90 = new RotatedImageSource(src, 90);
        Assert.Equal(100, r90.Width);
        Assert.Equal(200, r90.Height);
        // Turned counter-clockwise for display: the stored top-left corner shows at the bottom-left.
        Assert.Equal(new PointF(0, 0), r90.ToStored(0, 200));
        Assert.Equal(new BoxF(150, 10, 40, 20), r90.ToStored(new BoxF(10, 10, 20, 40)));
    }
}
