using System.Text;
using PlateBlur.Core.Detection;
using PlateBlur.Core.Edits;
using PlateBlur.Core.Tracking;

namespace PlateBlur.Core.Tests.Edits;

public class EditsFileTests
{
    private static readonly long[] Pts30 = Enumerable.Range(0, 90).Select(i => (long)Math.Round(i * 1e9 / 30)).ToArray();

    private static ValidEdits Valid(string json) => EditsDocument.Parse(Encoding.UTF8.GetBytes(json), "t.edits.json").Validate(640, 360, Pts30, "t.edits.json");

    private static string Error(string json) => Assert.Throws<InvalidDataException>(() => Valid(json)).Message;

    [Fact]
    public void A_valid_file_resolves_times_to_frames_and_sorts_keys()
    {
        var e = Valid("""
            { "schema": "plateblur.edits/1",
              "regions": [ { "id": "tv", "class": "screen", "span": { "fromTime": 0.5, "toFrame": 60 },
                             "keys": [ { "frame": 40, "box": [100, 50, 80, 40] }, { "time": 1.0, "polygon": [[10, 10], [60, 12], [58, 40], [12, 38]] } ] } ],
              "dropTracks": [7, 3, 7] }
            """);
        var r = Assert.Single(e.Regions);
        Assert.Equal(("tv", "screen", "follow", 15L, 60L), (r.Id, r.Class, r.Motion, r.FirstFrame, r.LastFrame));
        Assert.Equal([30L, 40L], r.Keys.Select(k => k.Frame));
        Assert.Equal(new BoxF(10, 10, 50, 30), r.Keys[0].Box);
        Assert.Equal([3, 7], e.DropTracks);
    }

    [Theory]
    [InlineData("""{ "schema": "plateblur.edits/9", "regions": [] }""", "unknown schema \"plateblur.edits/9\"")]
    [InlineData("""{ "regions": [] }""", "no \"schema\"")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regoins": [] }""", "regoins")]
    [InlineData("""not json""", "not valid JSON")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "screen", "keys": [ { "frame": 5, "box": [600, 10, 80, 40] } ] } ] }""", "is outside the 640 x 360 frame")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "screen", "keys": [ { "frame": 5, "box": [-20, 10, 80, 40] } ] } ] }""", "is outside the 640 x 360 frame")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "screen", "span": { "fromFrame": 50, "toFrame": 10 }, "keys": [ { "frame": 20, "box": [1, 1, 8, 8] } ] } ] }""", "negative span")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "screen", "span": { "fromFrame": -3 }, "keys": [ { "frame": 20, "box": [1, 1, 8, 8] } ] } ] }""", "span is negative")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "screen", "keys": [ { "frame": 200, "box": [1, 1, 8, 8] } ] } ] }""", "frame 200 is outside the stream (frames 0–89)")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "tattoo", "keys": [ { "frame": 2, "box": [1, 1, 8, 8] } ] } ] }""", "class \"tattoo\" is not one of plate, face, screen, logo, document, other")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "keys": [] } ] }""", "no keys")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "keys": [ { "frame": 2, "box": [1, 1, 8, 8], "polygon": [[1,1],[5,1],[5,5]] } ] } ] }""", "exactly one of box")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "span": { "fromFrame": 10, "toFrame": 20 }, "keys": [ { "frame": 30, "box": [1, 1, 8, 8] } ] } ] }""", "lie outside the span")]
    [InlineData("""{ "schema": "plateblur.edits/1", "regions": [ { "class": "logo", "keys": [ { "time": 9.5, "box": [1, 1, 8, 8] } ] } ] }""", "after the end of the stream")]
    [InlineData("""{ "schema": "plateblur.edits/1", "dropTracks": [0] }""", "0 is not a track id")]
    public void Bad_files_are_refused_with_the_reason(string json, string reason) => Assert.Contains(reason, Error(json));

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var message = Error("""
            { "schema": "plateblur.edits/1",
              "regions": [ { "id": "a", "class": "screen", "keys": [ { "frame": 5, "box": [600, 10, 80, 40] } ] },
                           { "id": "a", "class": "nope", "keys": [ { "frame": 5, "box": [1, 1, 8, 8] } ] } ] }
            """);
        Assert.Contains("3 problem(s)", message);
        Assert.Contains("outside the 640 x 360 frame", message);
        Assert.Contains("used twice", message);
        Assert.Contains("\"nope\"", message);
    }

    [Fact]
    public void Dropped_tracks_are_removed_and_counted_and_manual_boxes_added_with_their_class()
    {
        var resolved = EditsResolver.ForPhoto(Valid("""
            { "schema": "plateblur.edits/1", "regions": [ { "id": "badge", "class": "document", "keys": [ { "frame": 0, "box": [10, 20, 30, 40] } ] } ], "dropTracks": [2, 5] }
            """), null);
        var masks = new List<MaskBox> { new(new(0, 0, 10, 10), 1, MaskKind.Detected), new(new(50, 0, 10, 10), 2, MaskKind.Detected) };
        var dropped = new Dictionary<int, long>(); var removed = new List<MaskBox>();
        resolved.Apply(0, masks, dropped, removed);
        Assert.Equal([1, -1], masks.Select(m => m.TrackId));
        Assert.Equal(new BoxF(10, 20, 30, 40), masks[1].Box);
        Assert.Equal("document", resolved.ClassOf(-1));
        Assert.Equal("plate", resolved.ClassOf(1));
        Assert.Equal(1, dropped[2]);
        var report = resolved.Report(dropped, [], []);
        Assert.Contains(report.Warnings, w => w.Contains("track 5 masks nothing"));
        Assert.DoesNotContain(report.Warnings, w => w.Contains("track 2 "));
    }
}
