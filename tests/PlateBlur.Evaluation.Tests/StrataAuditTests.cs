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
        Assert.Equal(498, boxes.Count);
        var unjudged = boxes.Where(b => audit.Verdict(b.Path, b.Box) == null).Select(b => $"{b.List}: {b.Path} {b.Box}").ToList();
        Assert.True(unjudged.Count == 0, "not in audit.tsv: " + string.Join("; ", unjudged.Take(5)));
        Assert.Equal(461, audit.Count);
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
}
