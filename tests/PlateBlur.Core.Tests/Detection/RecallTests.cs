using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Evaluation;
using PlateBlur.Core.Media;
using PlateBlur.Core.Redaction;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Core.Tests.Detection;

/// <summary>The default settings on the annotated benchmark photos: the numbers the anonymize issue promises.</summary>
public class RecallTests(ModelFixture model, ITestOutputHelper log) : IClassFixture<ModelFixture>
{
    [SharedFact]
    public void Default_settings_cover_98_percent_and_match_96_percent_of_benchmark_plates()
    {
        var photos = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-us")).Concat(PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))).ToList();
        var a = model.Anonymizer;
        var redaction = a.Options.RedactionOptions();
        int covered = 0, matched = 0;
        var missed = new List<string>();
        foreach (var p in photos)
        {
            var photo = Photo.Load(p.Image);
            var (found, masks, _, _) = PhotoAnonymizer.DetectAndMask(photo, a.Scanner, a.Options);
            var maskBoxes = masks.Select(m => Redactor.Covered(m.Box, redaction, photo.Width, photo.Height)).ToList();
            bool c = Matcher.Coverage(p.Plate, maskBoxes) >= Matcher.CoveredShare;
            bool m = Matcher.MatchGreedy([p.Plate], found.Select(d => d.Box).ToList(), 0.5)[0] >= 0;
            covered += c ? 1 : 0;
            matched += m ? 1 : 0;
            if (!c) missed.Add(Path.GetFileName(p.Image));
        }
        double coverage = (double)covered / photos.Count, match = (double)matched / photos.Count;
        log.WriteLine($"{photos.Count} plates: coverage recall {coverage:P2} ({covered}), IoU>=0.5 recall {match:P2} ({matched}); not covered: {string.Join(", ", missed)}");
        Assert.Equal(330, photos.Count);
        Assert.True(coverage >= 0.98, $"coverage recall {coverage:P2}; missed {string.Join(", ", missed)}");
        Assert.True(match >= 0.96, $"IoU recall {match:P2}");
    }
}
