using PlateBlur.Orchestration.Storage;
using PlateBlur.Orchestration.Trigger;

namespace PlateBlur.Orchestration.Tests;

public class WorkNamesTests
{
    [Theory]
    [InlineData("clip.mp4", null)]
    [InlineData("deep/er/café street.mp4", null)]
    [InlineData("a/../b.mp4", "'..'")]
    [InlineData("./b.mp4", "'.'")]
    [InlineData("/b.mp4", "empty path segment")]
    [InlineData("a//b.mp4", "empty path segment")]
    [InlineData("bad\u0007name.mp4", "control character U+0007")]
    [InlineData("bad\u0001name.mp4", "control character U+0001")]
    [InlineData("tab\tname.mp4", "control character U+0009")]
    [InlineData("a/.../b.mp4", "only of dots")]
    [InlineData("...", "only of dots")]
    [InlineData("%2e%2e/etc/passwd.mp4", "percent-encoded")]
    [InlineData("a%2Fb.mp4", "percent-encoded")]
    [InlineData("invoice\u202Egpj.exe", "bidirectional")]
    [InlineData("x\u2066y.mp4", "bidirectional")]
    [InlineData("zero\u200Bwidth.mp4", "format character")]
    [InlineData("C:/Windows/clip.mp4", "drive letter")]
    [InlineData("c:clip.mp4", "drive letter")]
    [InlineData("a\\b.mp4", "backslash")]
    [InlineData("clip.mp4.", "ends with a dot or a space")]
    [InlineData("clip.mp4 ", "ends with a dot or a space")]
    [InlineData("folder./clip.mp4", "ends with a dot or a space")]
    [InlineData(" clip.mp4", "starts with a space")]
    [InlineData("cams/2024 july/50% off.mp4", null)]
    [InlineData("photos/emoji \U0001F697.jpg", null)]
    [InlineData("a/b.c/d.mp4", null)]
    public void Unsafe_names_are_named_with_the_reason(string name, string? reason)
    {
        var r = WorkNames.Unsafe(name);
        if (reason == null) Assert.Null(r); else Assert.Contains(reason, r);
    }

    [Fact]
    public void Names_too_long_for_the_outputs_are_rejected_and_the_longest_accepted_name_fits_every_output_name()
    {
        string longest = "v/" + new string('a', WorkNames.MaxSourceName - 6) + ".bin"; // not a video extension: ".mp4" is added
        Assert.Equal(WorkNames.MaxSourceName, longest.Length);
        Assert.Null(WorkNames.Unsafe(longest));
        string output = WorkNames.OutputName(longest, "video");
        foreach (var derived in new[] { output, output + ".report.json", output + ".qc.png", longest + ".reason.json" })
            Assert.True(derived.Length <= WorkNames.MaxBlobName, $"{derived.Length} characters");
        Assert.Contains("at most", WorkNames.Unsafe(longest + "x"));
        Assert.Contains("at most", WorkNames.Unsafe(new string('a', 1024)));
        Assert.Contains("unpaired surrogate", WorkNames.Unsafe("half" + '\uD800' + ".mp4")); // (an attribute cannot carry a lone surrogate)
    }

    [Fact]
    public void Output_names_keep_the_path_and_add_an_extension_only_when_needed()
    {
        Assert.Equal("cams/a.mov", WorkNames.OutputName("cams/a.mov", "video"));
        Assert.Equal("cams/a.bin.mp4", WorkNames.OutputName("cams/a.bin", "video"));
        Assert.Equal("p/x.jpg", WorkNames.OutputName("p/x", "photo"));
        Assert.Equal("source.mp4", WorkNames.LocalName("source", "../../etc/x.MP4"));
        Assert.Equal("source", WorkNames.LocalName("source", "weird.ext$"));
    }

    [Fact]
    public void Instance_id_depends_on_path_and_etag_only()
    {
        var a = InboxStarter.InstanceIdFor("a.mp4", "\"0x1\"");
        Assert.Equal(a, InboxStarter.InstanceIdFor("a.mp4", "0x1"));
        Assert.NotEqual(a, InboxStarter.InstanceIdFor("a.mp4", "0x2"));
        Assert.NotEqual(a, InboxStarter.InstanceIdFor("b.mp4", "0x1"));
        Assert.Matches("^pb-[0-9a-f]{32}$", a);
    }
}
