using System.Buffers.Binary;
using System.Text;

namespace PlateBlur.Core.Media;

/// <summary>Writes I420 frames with exact nanosecond timestamps as a streaming Matroska file, so ffmpeg keeps variable frame timing.</summary>
/// <remarks>A raw pipe carries no timestamps; Matroska with a 1 ns timecode scale carries any source time base losslessly.</remarks>
public sealed class MatroskaRawWriter
{
    private readonly Stream _out;
    private readonly int _width, _height;
    private readonly long _defaultDurationNs;
    private bool _headerWritten;

    /// <param name="defaultDurationNs">The track's default frame duration (0 = none). ffmpeg gives it to every frame as its duration; the
    /// timestamps still say when each frame is shown, but the last frame then keeps a duration: without one, the MP4 muxer gave the last
    /// frame none, and a one-frame video came out with no frame at all.</param>
    public MatroskaRawWriter(Stream output, int width, int height, long defaultDurationNs = 0)
    {
        _out = output; _width = width; _height = height; _defaultDurationNs = Math.Max(0, defaultDurationNs);
    }

    public void WriteHeader()
    {
        if (_headerWritten) return;
        _headerWritten = true;
        Ebml.WriteMaster(_out, Ebml.EbmlHeader, s =>
        {
            Ebml.WriteUInt(s, 0x4286, 1);
            Ebml.WriteUInt(s, 0x42F7, 1);
            Ebml.WriteUInt(s, 0x42F2, 4);
            Ebml.WriteUInt(s, 0x42F3, 8);
            Ebml.WriteBytes(s, 0x4282, "matroska"u8);
            Ebml.WriteUInt(s, 0x4287, 4);
            Ebml.WriteUInt(s, 0x4285, 2);
        });
        Ebml.WriteId(_out, Ebml.Segment);
        Ebml.WriteSize(_out, Ebml.UnknownSize);
        Ebml.WriteMaster(_out, Ebml.Info, s =>
        {
            Ebml.WriteUInt(s, Ebml.TimecodeScale, 1);
            Ebml.WriteBytes(s, 0x4D80, "PlateBlur"u8);
            Ebml.WriteBytes(s, 0x5741, "PlateBlur"u8);
        });
        Ebml.WriteMaster(_out, Ebml.Tracks, s => Ebml.WriteMaster(s, Ebml.TrackEntry, t =>
        {
            Ebml.WriteUInt(t, 0xD7, 1);          // TrackNumber
            Ebml.WriteUInt(t, 0x73C5, 1);        // TrackUID
            Ebml.WriteUInt(t, 0x83, 1);          // TrackType: video
            Ebml.WriteUInt(t, 0x9C, 0);          // FlagLacing
            if (_defaultDurationNs > 0) Ebml.WriteUInt(t, 0x23E383, (ulong)_defaultDurationNs); // DefaultDuration (ns)
            Ebml.WriteBytes(t, Ebml.CodecId, Encoding.ASCII.GetBytes("V_UNCOMPRESSED"));
            Ebml.WriteMaster(t, Ebml.Video, v =>
            {
                Ebml.WriteUInt(v, Ebml.PixelWidth, (ulong)_width);
                Ebml.WriteUInt(v, Ebml.PixelHeight, (ulong)_height);
                Ebml.WriteBytes(v, Ebml.ColourSpace, "I420"u8);
            });
        }));
    }

    /// <summary>Writes one frame as its own cluster (the cluster carries the absolute time, so no 16-bit block offset limits it).</summary>
    public void WriteFrame(YuvFrame frame)
    {
        if (frame.Width != _width || frame.Height != _height)
            throw new InvalidOperationException($"Frame {frame.Index} is {frame.Width}x{frame.Height}, stream is {_width}x{_height}.");
        WriteHeader();
        long pts = Math.Max(0, frame.PtsNs);
        var data = frame.Data;
        // Cluster = Timecode element (1 id + 8 size + 8 value) + SimpleBlock (1 id + 8 size + 4 header + data).
        ulong blockSize = 4 + (ulong)data.Length;
        ulong clusterSize = 17 + 9 + blockSize;
        Ebml.WriteId(_out, Ebml.Cluster);
        Ebml.WriteSize(_out, clusterSize);
        Ebml.WriteUInt(_out, Ebml.Timecode, (ulong)pts);
        Ebml.WriteId(_out, Ebml.SimpleBlock);
        Ebml.WriteSize(_out, blockSize);
        Span<byte> head = stackalloc byte[4];
        head[0] = 0x81; // track 1
        BinaryPrimitives.WriteInt16BigEndian(head[1..], 0);
        head[3] = 0x80; // keyframe
        _out.Write(head);
        _out.Write(data);
    }
}
