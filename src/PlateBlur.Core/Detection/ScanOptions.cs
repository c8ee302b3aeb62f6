namespace PlateBlur.Core.Detection;

/// <summary>How much of each frame the plate model searches.</summary>
/// <param name="Threshold">Minimum score for a plate; low by default because a miss is a leak.</param>
/// <param name="Tiles">Also search overlapping native-resolution tiles when the frame is larger than the model input.</param>
/// <param name="TileEvery">Video only: each tile is searched every this many frames (round robin); 1 = every tile on every frame.</param>
/// <param name="TileOverlap">Overlap between neighbouring tiles as a fraction of the tile size.</param>
/// <param name="ContinueThreshold">Video: detections down to this score keep an existing track alive (they never start one), so a plate
/// whose score flickers around the threshold stays masked.</param>
/// <param name="Vehicles">Also search upscaled crops around vehicles found by the vehicle model (vehicle-first detection).</param>
/// <param name="VehicleEvery">Video: the vehicle model runs every this many frames; in between, vehicle boxes are predicted forward.</param>
/// <param name="VehicleMargin">Margin around a vehicle box for its crop, as a fraction of the box size.</param>
/// <param name="MaxCrops">At most this many vehicle crops per frame (four per inference); more vehicles take turns.</param>
/// <param name="CoarseSide">The coarse end of the scale pyramid: the whole picture is also searched shrunk to this many pixels on its
/// long side (plates filling the picture); 0 = off. Video: every <paramref name="TileEvery"/>-th frame.</param>
/// <param name="KeySeconds">Video: the coarse pass, the vehicle model and the crops around vehicles run on key frames at most this far
/// apart; the frames between get the whole frame and their turn of the tiles. A plate that only the vehicle crops find is searched for
/// within this time, and the track's backward extension covers the frames before it was first found. 0 = no key frames (the vehicle
/// model every VehicleEvery-th frame, crops on every frame, the coarse pass every TileEvery-th frame).</param>
/// <param name="ScanSeconds">Video: between key frames, a frame is searched at all only when it starts a new slot of this many seconds on
/// the stream's clock (the first frame of each slot); the frames in between get no search, and the tracker carries the masks through them
/// (following each plate in the picture, filling the gap between detections). Tiles take turns by slot. 0 = every frame is searched.</param>
/// <param name="WholeSide">The whole-frame pass sees the picture at most this many pixels on its long side (0 = the model input size).</param>
/// <param name="PhotoFull">Photos (<see cref="FrameScanner.ScanPhoto"/>): also search the middle of the scale pyramid
/// (<see cref="FrameScanner.PhotoSides"/>) with the picture mirrored into every pass's letterbox border. Video frames never.</param>
public sealed record ScanOptions(float Threshold = 0.1f, bool Tiles = true, int TileEvery = 1, float TileOverlap = 0.25f, float ContinueThreshold = 0.05f,
    bool Vehicles = false, int VehicleEvery = 3, float VehicleMargin = 0.1f, int MaxCrops = 8, int CoarseSide = 160, double KeySeconds = 0,
    double ScanSeconds = 0, int WholeSide = 0, bool PhotoFull = false)
{
    public long KeyNs => (long)Math.Round(KeySeconds * 1e9);
    public long ScanNs => (long)Math.Round(ScanSeconds * 1e9);

    public ScanOptions Validate()
    {
        if (Threshold is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "threshold must be between 0 and 1");
        if (ContinueThreshold <= 0 || ContinueThreshold > Threshold) throw new ArgumentOutOfRangeException(nameof(ContinueThreshold), ContinueThreshold, "continue threshold must be above 0 and at most the threshold");
        if (VehicleEvery < 1) throw new ArgumentOutOfRangeException(nameof(VehicleEvery), VehicleEvery, "vehicle-every must be at least 1");
        if (TileEvery < 1) throw new ArgumentOutOfRangeException(nameof(TileEvery), TileEvery, "tile-every must be at least 1");
        if (CoarseSide is < 0 or (> 0 and < 64)) throw new ArgumentOutOfRangeException(nameof(CoarseSide), CoarseSide, "coarse side must be 0 (off) or at least 64 px");
        if (KeySeconds is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(KeySeconds), KeySeconds, "key-seconds must be 0 (no key frames) to 1 s");
        if (ScanSeconds < 0 || ScanSeconds > 0.25 || (ScanSeconds > 0 && KeySeconds > 0 && ScanSeconds > KeySeconds))
            throw new ArgumentOutOfRangeException(nameof(ScanSeconds), ScanSeconds, "scan-seconds must be 0 (every frame) to 0.25 s, and at most key-seconds");
        if (WholeSide is < 0 or (> 0 and < 256)) throw new ArgumentOutOfRangeException(nameof(WholeSide), WholeSide, "whole-side must be 0 (the model input) or at least 256 px");
        if (TileOverlap is < 0 or > 0.75f) throw new ArgumentOutOfRangeException(nameof(TileOverlap), TileOverlap, "tile overlap must be 0–0.75");
        return this;
    }
}
