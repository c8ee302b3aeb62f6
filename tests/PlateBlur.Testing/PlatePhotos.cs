using System.Globalization;
using PlateBlur.Core.Detection;

namespace PlateBlur.Testing;

/// <summary>The annotated benchmark photos (openalpr layout: NAME.txt = file, x, y, w, h, text; one plate per photo).</summary>
public static class PlatePhotos
{
    public sealed record Annotated(string Image, BoxF Plate);

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
