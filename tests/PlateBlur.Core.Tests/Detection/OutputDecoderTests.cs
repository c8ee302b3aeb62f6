using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tests.Detection;

public class OutputDecoderTests
{
    [Fact]
    public void Yolov5_face_row_gives_box_score_and_corners()
    {
        // One candidate: centre (100,50), 40x20, objectness 0.9, corners, class scores 0.2 / 0.8 -> score 0.72, class 1.
        float[] o = [100, 50, 40, 20, 0.9f, 80, 40, 120, 40, 120, 60, 80, 60, 0.2f, 0.8f,
                     10, 10, 5, 5, 0.1f, 0, 0, 0, 0, 0, 0, 0, 0, 0.9f, 0.1f];
        var d = OutputDecoder.Decode(OutputLayout.Yolov5Face, o, [1, 2, 15], 0.25f, []);
        var only = Assert.Single(d);
        Assert.Equal(new BoxF(80, 40, 40, 20), only.Box);
        Assert.Equal(0.72f, only.Score, 5);
        Assert.Equal(1, only.ClassId);
        Assert.Equal(new PointF(120, 60), only.Corners![2]);
    }

    [Fact]
    public void Yolov5_multiplies_objectness_by_best_allowed_class()
    {
        float[] o = [50, 50, 10, 10, 0.5f, 0.9f, 0.6f];
        Assert.Equal(0.45f, Assert.Single(OutputDecoder.Decode(OutputLayout.Yolov5, o, [1, 1, 7], 0.1f, [])).Score, 5);
        var onlyClass1 = Assert.Single(OutputDecoder.Decode(OutputLayout.Yolov5, o, [1, 1, 7], 0.1f, [1]));
        Assert.Equal(0.30f, onlyClass1.Score, 5);
        Assert.Equal(1, onlyClass1.ClassId);
    }

    [Fact]
    public void Yolov8_reads_one_column_per_candidate()
    {
        // [1, 4+2, 3]: rows cx, cy, w, h, class0, class1; candidate 1 is the only one over 0.5.
        float[] o = [10, 200, 30,   20, 100, 30,   4, 60, 8,   4, 20, 8,   0.1f, 0.2f, 0.3f,   0.2f, 0.7f, 0.1f];
        var d = Assert.Single(OutputDecoder.Decode(OutputLayout.Yolov8, o, [1, 6, 3], 0.5f, []));
        Assert.Equal(new BoxF(170, 90, 60, 20), d.Box);
        Assert.Equal(1, d.ClassId);
        Assert.Equal(OutputLayout.Yolov8, OutputDecoder.Guess([1, 6, 8400]));
        Assert.Equal(OutputLayout.Yolov5Face, OutputDecoder.Guess([1, 25200, 15]));
        Assert.Equal(OutputLayout.Yolov5, OutputDecoder.Guess([1, 25200, 6]));
    }

    [Fact]
    public void Yolox_grid_outputs_decode_with_stride_and_exp()
    {
        // Input 32: strides 8/16/32 give 16 + 4 + 1 = 21 points. Point 5 is (gx=1, gy=1) at stride 8.
        int stride = 5 + 3;
        var o = new float[21 * stride];
        int p = 5 * stride;
        o[p] = 0.5f; o[p + 1] = 0.25f; o[p + 2] = MathF.Log(2); o[p + 3] = 0; o[p + 4] = 0.8f; o[p + 5 + 2] = 0.5f;
        var d = Assert.Single(OutputDecoder.Decode(OutputLayout.Yolox, o, [1, 21, stride], 0.3f, [2], 32));
        // cx = (0.5+1)*8 = 12, cy = (0.25+1)*8 = 10, w = 2*8 = 16, h = 1*8 = 8; score 0.8*0.5.
        Assert.Equal(4, d.Box.X, 3); Assert.Equal(6, d.Box.Y, 3); Assert.Equal(16, d.Box.W, 3); Assert.Equal(8, d.Box.H, 3);
        Assert.Equal(0.4f, d.Score, 5);
        Assert.Equal(2, d.ClassId);
    }
}
