using PlateBlur.Core.Detection;

namespace PlateBlur.Core.Tracking;

using Detection = PlateBlur.Core.Detection.Detection;

/// <summary>Masks the plate zone of vehicles on which no plate was found lately: where the plate model fails (tiny, oblique, dirty
/// or glared plates), the vehicle model still sees the car, and plates sit in a predictable band of it.</summary>
public sealed class FailSecure(int minVehicleHeight, int graceFrames = 2)
{
    private readonly Dictionary<int, long> _lastPlate = [];

    /// <summary>The plate zones to mask in <paramref name="frame"/> given its vehicles and the plate detections found in it.</summary>
    public List<BoxF> Zones(long frame, IReadOnlyList<Vehicle> vehicles, IReadOnlyList<Detection> plates)
    {
        var zones = new List<BoxF>();
        foreach (var v in vehicles)
        {
            // Only a plate found where plates sit counts: a sign on a bus windscreen must not switch the zone off.
            var zone = Zone(v);
            if (plates.Any(p => zone.Pad(0.1f).IntersectionArea(p.Box) >= 0.5f * p.Box.Area)) _lastPlate[v.Id] = frame;
            if (v.Box.H < minVehicleHeight) continue;
            if (_lastPlate.TryGetValue(v.Id, out var last) && frame - last <= graceFrames) continue;
            zones.Add(zone);
        }
        return zones;
    }

    /// <summary>The band of a vehicle box where front and rear plates are mounted: the lower part, across the middle.</summary>
    public static BoxF Zone(Vehicle v)
    {
        var b = v.Box;
        var (x0, x1, y0, y1) = v.ClassId switch
        {
            3 => (0.15f, 0.85f, 0.35f, 0.95f), // motorcycle: plate under the seat or on the fork, higher and narrower
            5 or 7 => (0.1f, 0.9f, 0.55f, 1.0f), // bus, truck: low on the bumper, often offset
            _ => (0.12f, 0.88f, 0.5f, 1.0f), // car
        };
        return BoxF.FromCorners(b.X + x0 * b.W, b.Y + y0 * b.H, b.X + x1 * b.W, b.Y + y1 * b.H);
    }
}
