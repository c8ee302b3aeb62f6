using System.Text.Json;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Media;
using PlateBlur.Core.Reports;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Edits;

/// <summary>Edits applied to a real clip: a manual region on a spot with no plate is blurred across its span, a dropped false-positive
/// track is no longer masked, and a second render with the same edits gives the same masks.</summary>
public class EditsRenderTests
{
    /// <summary>A window of the white house in uk_rain_street (no plate), drawn on frame 60, masked over frames 10–110 while the camera pans.</summary>
    private static readonly BoxF Window = new(350, 160, 44, 50);
    private const long Key = 60, From = 10, To = 110;

    [SharedFact]
    public async Task A_manual_region_is_blurred_across_its_span_a_dropped_track_is_not_masked_and_renders_repeat()
    {
        using var dir = TestEnv.TempDir();
        string src = TestEnv.Shared("samples", "uk_rain_street.mp4");
        using var anonymizer = await Anonymizer.CreateAsync(new PlateBlurOptions { Threads = 2, Preset = "ultrafast" }, TestEnv.Models);
        var plain = await anonymizer.AnonymizeFileAsync(src, dir.File("plain.mp4"), overwrite: false);
        Assert.Null(plain.Edits);
        Assert.Equal(plain.Counts.Masks, plain.MasksByClass!["plate"]);

        // The spot was not masked without edits; the dropped track is one that never touches an annotated plate.
        Assert.DoesNotContain(Detail.Masks(plain).GetValueOrDefault(Key) ?? [], m => m.IntersectionArea(Window) > 0);
        int drop = Detail.FalsePositiveTrack(plain, Path.Combine(TestEnv.RepoRoot, "tests", "annotations", "uk_rain_street.boxes.txt"))
            ?? throw new InvalidOperationException("no false-positive track in the first render");
        long dropMasks = plain.Frames.Sum(f => f.Boxes.Count(b => b.Track == drop));
        Assert.True(dropMasks >= 10, $"track {drop} has {dropMasks} masks");

        File.WriteAllText(dir.File("clip.edits.json"), Detail.EditsJson("window", "other", Key, Window, From, To, drop, 99_999));
        var edits = EditsSource.Load(dir.File("clip.edits.json"));
        var edited = await anonymizer.AnonymizeFileAsync(src, dir.File("edited.mp4"), overwrite: false, edits: edits);

        // The report: the region with its masks, the dropped track with the masks removed, a warning for the unknown id, counts per class.
        var region = Assert.Single(edited.Edits!.Regions);
        Assert.Equal(("window", "other", To - From + 1), (region.Id, region.Class, region.Masks));
        Assert.Equal(dropMasks, Assert.Single(edited.Edits.DroppedTracks, d => d.Track == drop).MasksRemoved);
        Assert.Contains(edited.Edits.Warnings, w => w.Contains("track 99999 masks nothing"));
        Assert.Equal(To - From + 1, edited.MasksByClass!["other"]);
        Assert.Equal(edited.Counts.Masks, edited.MasksByClass.Values.Sum());
        Assert.DoesNotContain(edited.Frames.SelectMany(f => f.Boxes), b => b.Track == drop);
        var manual = Detail.Masks(edited, b => b.Kind == "Manual");
        Assert.Equal(Enumerable.Range((int)From, (int)(To - From + 1)).Select(i => (long)i), manual.Where(m => m.Value.Count > 0).Select(m => m.Key).Order());

        // Pixels: inside the region's mask the edited render lost the detail that the plain render kept, on frames across the span.
        long[] probe = [From, 35, Key, 85, To];
        var srcLuma = await Detail.LumaAsync(src, probe);
        var plainLuma = await Detail.LumaAsync(dir.File("plain.mp4"), probe);
        var editLuma = await Detail.LumaAsync(dir.File("edited.mp4"), probe);
        foreach (long f in probe)
        {
            var box = Assert.Single(manual[f]);
            var inner = new BoxF(box.X + 3, box.Y + 3, box.W - 6, box.H - 6);
            double kept = Detail.Kept(srcLuma[f], editLuma[f], inner), keptPlain = Detail.Kept(srcLuma[f], plainLuma[f], inner);
            Assert.True(kept <= 0.10, $"frame {f}: the region {box} kept {kept:P1} of its detail");
            Assert.True(keptPlain >= 0.4, $"frame {f}: without edits the spot kept only {keptPlain:P1} (was it masked anyway?)");
        }
        // The region follows the picture: at the key frame it sits on the drawn box (padded), and the camera's pan moves it.
        Assert.True(manual[Key][0].IntersectionArea(Window) >= 0.95 * Window.Area);
        Assert.True(Math.Abs(manual[From][0].CenterX - manual[To][0].CenterX) > 20, $"{manual[From][0]} -> {manual[To][0]}");

        // The dropped track's place keeps its detail now where no other mask covers it.
        var dropFrames = plain.Frames.Where(f => f.Boxes.Any(b => b.Track == drop && b.Kind == "Detected")).Select(f => f.Index).Take(3).ToList();
        var srcD = await Detail.LumaAsync(src, dropFrames);
        var plainD = await Detail.LumaAsync(dir.File("plain.mp4"), dropFrames);
        var editD = await Detail.LumaAsync(dir.File("edited.mp4"), dropFrames);
        int checkedDrop = 0;
        foreach (long f in dropFrames)
        {
            var b = plain.Frames.Single(x => x.Index == f).Boxes.First(x => x.Track == drop);
            var box = new BoxF(b.X + 2, b.Y + 2, b.W - 4, b.H - 4);
            if ((Detail.Masks(edited).GetValueOrDefault(f) ?? []).Any(m => m.IntersectionArea(box) > 0)) continue;
            Assert.True(Detail.Kept(srcD[f], plainD[f], box) <= 0.10, $"frame {f}: track {drop} was not blurred in the plain render");
            Assert.True(Detail.Kept(srcD[f], editD[f], box) >= 0.4, $"frame {f}: track {drop} still blurred after it was dropped");
            checkedDrop++;
        }
        Assert.True(checkedDrop >= 1, "no frame of the dropped track free of other masks");

        // Re-rendering with the same input and edits gives the same masks (and the same track ids).
        var again = await anonymizer.AnonymizeFileAsync(src, dir.File("again.mp4"), overwrite: false, edits: edits);
        Assert.Equal(JsonSerializer.Serialize(edited.Frames, AnonymizationReport.Json), JsonSerializer.Serialize(again.Frames, AnonymizationReport.Json));
        Assert.Equal(JsonSerializer.Serialize(edited.Edits, AnonymizationReport.Json), JsonSerializer.Serialize(again.Edits, AnonymizationReport.Json));
    }

    [SharedFact]
    public async Task Photo_edits_mask_a_region_and_drop_a_detection()
    {
        using var dir = TestEnv.TempDir();
        var sample = PlatePhotos.Load(TestEnv.Shared("data", "openalpr-eu"))[1];
        using var anonymizer = await Anonymizer.CreateAsync(new PlateBlurOptions { Threads = 2 }, TestEnv.Models);
        var plain = await anonymizer.AnonymizeFileAsync(sample.Image, dir.File("plain.jpg"), overwrite: false);
        var first = plain.Frames.Single().Boxes.First();
        var photo = Photo.Load(sample.Image);
        static (byte[], int, int) Luma(Photo p) => (Enumerable.Range(0, p.Width * p.Height).Select(i => (byte)((p.Rgba[4 * i] * 299 + p.Rgba[4 * i + 1] * 587 + p.Rgba[4 * i + 2] * 114) / 1000)).ToArray(), p.Width, p.Height);
        // The region: the most detailed sixth-of-the-photo cell that no mask touches.
        var sourceLuma = Luma(photo);
        var masks = plain.Frames.Single().Boxes.Select(b => new BoxF(b.X, b.Y, b.W, b.H)).ToList();
        float cw = photo.Width / 6f, ch = photo.Height / 6f;
        var spot = Enumerable.Range(0, 36).Select(i => new BoxF(1 + i % 6 * cw, 1 + i / 6 * ch, cw - 2, ch - 2))
            .Where(c => masks.All(m => m.IntersectionArea(c) == 0)).MaxBy(c => Detail.Energy(sourceLuma, c));
        File.WriteAllText(dir.File("p.edits.json"), Detail.EditsJson("corner", "logo", 0, spot, 0, 0, first.Track));
        var edited = await anonymizer.AnonymizeFileAsync(sample.Image, dir.File("edited.jpg"), overwrite: false, edits: EditsSource.Load(dir.File("p.edits.json")));
        Assert.DoesNotContain(edited.Frames.Single().Boxes, b => b.Track == first.Track);
        Assert.Contains(edited.Frames.Single().Boxes, b => b.Class == "logo" && b.Region == "corner");
        Assert.Equal(1, edited.MasksByClass!["logo"]);
        var before = Photo.Load(dir.File("plain.jpg")); var after = Photo.Load(dir.File("edited.jpg"));
        var inner = new BoxF(spot.X + 3, spot.Y + 3, spot.W - 6, spot.H - 6);
        double kept = Detail.Energy(Luma(after), inner) / Detail.Energy(Luma(before), inner);
        Assert.True(kept <= 0.10, $"the photo region kept {kept:P1} of its detail");
    }
}
