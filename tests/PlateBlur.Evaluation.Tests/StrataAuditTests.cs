using PlateBlur.Core.Detection;
using PlateBlur.Testing;

namespace PlateBlur.Evaluation.Tests;

/// <summary>The blind audit of the strata's labels (tests/strata/audit.tsv) must judge every labelled box the strata list, with a
/// known verdict, and what it says about the "two-line" list must stay visible: that list is picked by the box's shape.</summary>
public class StrataAuditTests
{
    private static readonly string Dir = Path.Combine(TestEnv.RepoRoot, "tests", "strata");

    private static IEnumerable<(string List, string Path, BoxF Box)> Boxes() =>
        Directory.GetFiles(Dir, "*.txt").Order(StringComparer.Ordinal).SelectMany(list => Datasets.StratumEntries(list)
            .Select(e => (System.IO.Path.GetFileNameWithoutExtension(list), e.Path, e.Box)));

    [Fact]
    public void Every_labelled_box_of_the_strata_has_a_verdict()
    {
        var audit = StrataAudit.Load(Dir) ?? throw new FileNotFoundException("tests/strata/audit.tsv is missing");
        var boxes = Boxes().ToList();
        Assert.Equal(474, boxes.Count);
        var unjudged = boxes.Where(b => audit.Verdict(b.Path, b.Box) == null).Select(b => $"{b.List}: {b.Path} {b.Box}").ToList();
        Assert.True(unjudged.Count == 0, "not in audit.tsv: " + string.Join("; ", unjudged.Take(5)));
        // And nothing else: a box the lists no longer name (round 11 dropped the resized copies and rebuilt the night list) is not kept.
        Assert.Equal(boxes.Select(b => (b.Path, b.Box)).Distinct().Count(), audit.Count);
        Assert.Equal(428, audit.Count);
    }

    [Fact]
    public void The_two_line_list_is_mostly_one_line_plates_and_the_audit_says_so()
    {
        var audit = StrataAudit.Load(Dir)!;
        var verdicts = Boxes().Where(b => b.List == "two-line").Select(b => audit.Verdict(b.Path, b.Box)!).ToList();
        Assert.Equal(205, verdicts.Count);
        Assert.Equal(12, verdicts.Count(v => v == "two-line"));
        Assert.Equal(156, verdicts.Count(v => v == "one-line"));
        Assert.Equal(26, verdicts.Count(v => !StrataAudit.Protects(v)));
        Assert.False(StrataAudit.Protects("no-plate"));
        Assert.False(StrataAudit.Protects("not-registration"));
        Assert.True(StrataAudit.Protects("plate-unreadable"));
        Assert.True(StrataAudit.Protects(null));
    }

    [Fact]
    public void No_photo_is_listed_twice_under_two_names()
    {
        // openimages-lp-useu/oi_ID is openimages/ID resized: listing both counted its plates twice, and the two names could fall into
        // different halves (a photo tuned on and reported at once). The lists keep only the openimages/ original.
        var pictures = Boxes().Select(b => Datasets.TrainingPicture(b.Path)).OfType<(string Set, string Name)>().Distinct().ToList();
        var listed = pictures.Select(t => t.Set + "/" + t.Name).ToHashSet(StringComparer.Ordinal);
        var copies = pictures.Where(t => Datasets.SamePhoto(t.Set, t.Name).Skip(1).Any(listed.Contains)).Select(t => t.Set + "/" + t.Name).ToList();
        Assert.True(copies.Count == 0, "listed under two names: " + string.Join(", ", copies.Take(5)));
        Assert.Equal(["openimages/abc", "openimages-lp-useu/oi_abc"], Datasets.SamePhoto("openimages", "abc"));
        Assert.Equal(["openimages-lp-useu/oi_abc", "openimages/abc"], Datasets.SamePhoto("openimages-lp-useu", "oi_abc"));
        Assert.Equal(["roboflow-mit/abc"], Datasets.SamePhoto("roboflow-mit", "abc"));
        Assert.Equal(("openimages", "abc"), Datasets.TrainingPicture("train/openimages/images/abc.jpg"));
        Assert.Null(Datasets.TrainingPicture("openalpr-eu/eu1.jpg"));
    }

    [Fact]
    public void The_night_list_is_the_photos_a_person_judged_taken_in_low_light()
    {
        // tests/strata/light.tsv: every held-out photo darker than mean luminance 110, judged by eye (night, indoor-dark, indoor-lit,
        // day, unsure). The night stratum lists exactly the plates of the photos judged `night` or `indoor-dark`.
        var light = File.ReadLines(System.IO.Path.Combine(Dir, "light.tsv")).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        Assert.Equal(575, light.Count);
        Assert.All(light.Values, v => Assert.Contains(v, new[] { "night", "indoor-dark", "indoor-lit", "day", "unsure" }));
        var nightBoxes = Boxes().Where(b => b.List == "night").ToList();
        var night = nightBoxes.Select(b => b.Path).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(light.Where(kv => kv.Value is "night" or "indoor-dark").Select(kv => kv.Key).Order(StringComparer.Ordinal),
            night.Order(StringComparer.Ordinal));
        // Nothing judged daylight is in it (the old rule, mean luminance < 60, took about half of its photos from daylight).
        Assert.DoesNotContain(night, p => light[p] == "day");
        // 47 plates of the held-out photos and 7 of the CCPD night photos kept with the lists (tests/strata/photos, round 12).
        Assert.Equal(54, nightBoxes.Count);
        Assert.Equal(7, night.Count(p => p.StartsWith("./photos/ccpd/", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_path_starting_with_dot_slash_names_a_photo_kept_beside_the_lists_and_cannot_leave_that_folder()
    {
        using var shared = TestEnv.TempDir();
        using var lists = TestEnv.TempDir();
        Directory.CreateDirectory(System.IO.Path.Combine(shared.Path, "train"));
        Directory.CreateDirectory(System.IO.Path.Combine(lists.Path, "photos"));
        string there = System.IO.Path.Combine(shared.Path, "train", "a.png"), here = System.IO.Path.Combine(lists.Path, "photos", "b.png");
        File.WriteAllBytes(there, [1]); // the loader only names the photos; nothing is decoded here
        File.WriteAllBytes(here, [2]);
        string list = System.IO.Path.Combine(lists.Path, "s.txt");
        File.WriteAllLines(list, ["train/a.png 0 0 2 2", "./photos/b.png 1 1 2 2 # kept beside the list"]);
        var images = Datasets.LoadStratum(list, shared.Path);
        Assert.Equal(new[] { there, here }.Order(StringComparer.Ordinal), images.Select(i => i.Image).Order(StringComparer.Ordinal));
        Assert.Equal([1, 1], images.Select(i => i.Plates.Count));
        // The name each is listed by, whatever folders the data and the lists lie in: the key of its half and of the audit.
        Assert.Equal("train/a.png", Datasets.ListedPath(there, shared.Path, lists.Path));
        Assert.Equal("./photos/b.png", Datasets.ListedPath(here, shared.Path, lists.Path));
        foreach (var bad in new[] { "./../s.txt 0 0 1 1", "../x.png 0 0 1 1" })
        {
            File.WriteAllLines(list, [bad]);
            var e = Assert.Throws<InvalidDataException>(() => Datasets.LoadStratum(list, shared.Path));
            Assert.Contains("leaves", e.Message);
        }
        File.WriteAllLines(list, ["./photos/missing.png 0 0 1 1"]);
        Assert.Contains("missing", Assert.Throws<FileNotFoundException>(() => Datasets.LoadStratum(list, shared.Path)).Message);
    }
}
