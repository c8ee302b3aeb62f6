using System.Text;

namespace PlateBlur.Core.Media;

/// <summary>Reads I420 frames and their timestamps from the streaming Matroska that ffmpeg writes to a pipe.</summary>
public sealed class MatroskaRawReader
{
    private readonly Stream _in;
    private ulong _timecodeScale = 1_000_000;
    private long _clusterTime;
    private long _next;

    public MatroskaRawReader(Stream input) => _in = input;

    public int Width { get; private set; }
    public int Height { get; private set; }
    public string ColourSpace { get; private set; } = "";

    /// <summary>Reads the next frame, or returns null at the end of the stream.</summary>
    public YuvFrame? ReadFrame()
    {
        while (Ebml.TryReadId(_in, out uint id))
        {
            ulong size = Ebml.ReadSize(_in);
            switch (id)
            {
                case Ebml.Segment:
                case Ebml.Cluster:
                case Ebml.Tracks:
                case Ebml.TrackEntry:
                case Ebml.Video:
                case Ebml.Info:
                case Ebml.BlockGroup:
                    continue; // descend: children follow
                case Ebml.TimecodeScale: _timecodeScale = Ebml.ReadUInt(_in, size); break;
                case Ebml.PixelWidth: Width = (int)Ebml.ReadUInt(_in, size); break;
                case Ebml.PixelHeight: Height = (int)Ebml.ReadUInt(_in, size); break;
                case Ebml.ColourSpace: ColourSpace = ReadString(size); break;
                case Ebml.CodecId:
                    var codec = ReadString(size);
                    if (codec != "V_UNCOMPRESSED") throw new InvalidDataException($"Frame pipe carries {codec}, expected raw video.");
                    break;
                case Ebml.Timecode: _clusterTime = (long)Ebml.ReadUInt(_in, size); break;
                case Ebml.SimpleBlock:
                case Ebml.Block:
                    return ReadBlock(size);
                default: Ebml.Skip(_in, size); break;
            }
        }
        return null;
    }

    private YuvFrame ReadBlock(ulong size)
    {
        if (Width <= 0 || Height <= 0) throw new InvalidDataException("Frame pipe has a block before its track header.");
        if (ColourSpace is not ("I420" or "")) throw new InvalidDataException($"Frame pipe colour space {ColourSpace}, expected I420.");
        int track = Ebml.ReadByteOrThrow(_in);
        if ((track & 0x80) == 0) throw new InvalidDataException("Unsupported track number width in frame pipe.");
        short rel = (short)((Ebml.ReadByteOrThrow(_in) << 8) | Ebml.ReadByteOrThrow(_in));
        int flags = Ebml.ReadByteOrThrow(_in);
        if ((flags & 0x06) != 0) throw new InvalidDataException("Laced blocks are not expected in a raw frame pipe.");
        long payload = (long)size - 4;
        int expected = YuvFrame.SizeOf(Width, Height);
        if (payload != expected) throw new InvalidDataException($"Frame of {payload} bytes, expected {expected} for {Width}x{Height} I420.");
        long ptsNs = (long)((decimal)(_clusterTime + rel) * _timecodeScale);
        var frame = new YuvFrame(Width, Height, _next++, ptsNs);
        _in.ReadExactly(frame.Data);
        return frame;
    }

    private string ReadString(ulong size)
    {
        var b = new byte[size];
        _in.ReadExactly(b);
        return Encoding.ASCII.GetString(b).TrimEnd('\0');
    }
}
