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
    [InlineData("bad\u0007name.mp4", "control characters")]
    public void Unsafe_names_are_named_with_the_reason(string name, string? reason)
    {
        var r = WorkNames.Unsafe(name);
        if (reason == null) Assert.Null(r); else Assert.Contains(reason, r);
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
