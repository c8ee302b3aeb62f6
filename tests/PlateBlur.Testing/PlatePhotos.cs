using System.Globalization;
using PlateBlur.Core.Detection;

namespace PlateBlur.Testing;

/// <summary>The annotated benchmark photos (openalpr layout: NAME.txt = file, x, y, w, h, text; one plate per photo).</summary>
public static class PlatePhotos
{
    public sealed record Annotated(string Image, BoxF Plate);

    /// <summary>An openalpr-eu photo whose anonymized output QC passes with a wide margin: one plate (score 0.82), and no detection at
    /// 0.25 or more outside the masks on the output. Tests that need a photo to be published use it. eu11.jpg's output has a
    /// "2.0 TDI" badge next to the blurred plate that QC scores 0.516 against its 0.5 threshold on one machine; a CI machine
    /// quarantined it once while others published it (see docs/results.md, round 4).</summary>
    public static string QcCleanPhoto() => QcCleanPhotos()[0];

    /// <summary>Four different openalpr-eu photos whose outputs pass QC with that margin (eu9, eu6, eu4, eu8: no detection at 0.25 or more
    /// outside the masks), for tests that need several distinct photos published.</summary>
    public static string[] QcCleanPhotos() => [.. new[] { "eu9.jpg", "eu6.jpg", "eu4.jpg", "eu8.jpg" }.Select(n => TestEnv.Shared("data", "openalpr-eu", n))];

    public static List<Annotated> Load(string folder)
    {
        var list = new List<Annotated>();
        foreach (var txt in Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal))
        {
            var f = System.IO.File.ReadAllText(txt).Trim().Split('\t', ' ');
            float P(int i) => float.Parse(f[i], CultureInfo.InvariantCulture);
            list.Add(new Annotated(Path.Combine(folder, f[0]), new BoxF(P(1), P(2), P(3), P(4))));
        }
        return list;
    }
}
