using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PlateBlur.Cli.Commands;
using PlateBlur.Core.Models;
using PlateBlur.Testing;

namespace PlateBlur.Cli.Tests;

/// <summary>tests/data.manifest.json against the shared folder, and plateblur data fetch: verified copies, kept files, refused mismatches.</summary>
public class DataCommandTests
{
    [SharedFact]
    public async Task Every_file_of_the_manifest_is_in_the_shared_folder_with_its_size_and_sha256()
    {
        var files = DataManifest.Embedded.Files(withModels: true);
        Assert.True(files.Count > 600, $"only {files.Count} files listed");
        // Every file the manifest says the shared folder holds must be there with its sha256. The download-only ones (inShared false,
        // each with a public URL) are checked where present (a folder filled by 'data fetch' has them; CI's does not).
        var extra = files.Where(f => !f.InShared).ToList();
        Assert.Contains(extra, f => f.Path == "samples/nz_motorway_15fps.mp4" && f.Url != null);
        var problems = await DataStore.VerifyAsync(TestEnv.SharedDir!, files);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Manifest_paths_are_unique_and_safe_hashes_are_sha256_and_files_without_a_url_say_why()
    {
        var files = DataManifest.Embedded.Files(withModels: true);
        Assert.Equal(files.Count, files.Select(f => f.Path).Distinct().Count());
        foreach (var f in files)
        {
            Assert.Matches("^[0-9a-f]{64}$", f.Sha256);
            Assert.True(f.Bytes > 0, f.Path);
            Assert.False(string.IsNullOrEmpty(f.Licence), $"{f.Path} has no licence");
            DataStore.Target("/data", f); // throws for a path that leaves the folder
            if (f.Url == null) Assert.False(string.IsNullOrEmpty(f.Source), $"{f.Path} has neither a URL nor a source note");
            else Assert.StartsWith("https://", f.Url);
        }
        // the README's first command anonymizes this clip: it must be downloadable without a mirror
        Assert.NotNull(files.Single(f => f.Path == "samples/us_freeway_dashcam_540p.mp4").Url);
    }

    [Fact]
    public void Every_shared_path_the_tests_read_is_in_the_manifest()
    {
        string root = RepoRoot();
        var listed = DataManifest.Embedded.Files(withModels: true).Where(f => f.InShared).Select(f => f.Path).ToList();
        var call = new Regex(@"TestEnv\.Shared\(((?:\s*""[^""]+""\s*,?)+)\)");
        int seen = 0;
        foreach (var cs in Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories))
        {
            if (cs.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || cs.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")) continue;
            foreach (Match m in call.Matches(File.ReadAllText(cs)))
            {
                string path = string.Join('/', Regex.Matches(m.Groups[1].Value, @"""([^""]+)""").Select(p => p.Groups[1].Value));
                Assert.True(listed.Any(l => l == path || l.StartsWith(path + "/", StringComparison.Ordinal)), $"{Path.GetFileName(cs)} reads {path}, which tests/data.manifest.json does not list");
                seen++;
            }
        }
        Assert.True(seen > 10, $"found only {seen} TestEnv.Shared calls");
    }

    [Fact]
    public async Task Fetch_copies_verified_files_keeps_them_on_a_second_run_and_refuses_a_mismatch()
    {
        using var dir = TestEnv.TempDir();
        string mirror = Path.Combine(dir.Path, "mirror"), data = Path.Combine(dir.Path, "data");
        byte[] good = RandomNumberGenerator.GetBytes(5000), bad = RandomNumberGenerator.GetBytes(5000);
        Directory.CreateDirectory(Path.Combine(mirror, "samples"));
        await File.WriteAllBytesAsync(Path.Combine(mirror, "samples", "good.mp4"), good);
        await File.WriteAllBytesAsync(Path.Combine(mirror, "samples", "bad.mp4"), bad);
        var manifest = DataManifest.Parse($$"""
            { "sets": [ { "folder": "samples", "licence": "test", "files": [
              { "name": "good.mp4", "bytes": 5000, "sha256": "{{Sha(good)}}" },
              { "name": "bad.mp4", "bytes": 5000, "sha256": "{{Sha(good)}}" },
              { "name": "nowhere.mp4", "bytes": 5000, "sha256": "{{Sha(good)}}", "source": "private footage" } ] } ] }
            """);
        var store = new DataStore(data, mirror);

        var first = await store.FetchAsync(manifest.Select([]));
        Assert.Equal(1, first.Copied);
        Assert.Equal(good, await File.ReadAllBytesAsync(Path.Combine(data, "samples", "good.mp4")));
        var refused = Assert.Single(first.Failed, f => f.File.Name == "bad.mp4");
        Assert.Contains("REFUSED", refused.Error);
        Assert.Contains(Sha(bad), refused.Error);
        Assert.False(File.Exists(Path.Combine(data, "samples", "bad.mp4")), "a file with the wrong sha256 was written");
        Assert.Contains("no public URL", Assert.Single(first.Failed, f => f.File.Name == "nowhere.mp4").Error);
        Assert.Empty(Directory.GetFiles(Path.Combine(data, "samples"), ".*")); // no partial file left

        var again = await store.FetchAsync(manifest.Select(["samples/good.mp4"]));
        Assert.Equal((1, 0, 0), (again.Kept, again.Copied, again.Failed.Count));

        // a damaged copy in the data folder is replaced from the mirror
        await File.WriteAllBytesAsync(Path.Combine(data, "samples", "good.mp4"), bad);
        var repaired = await store.FetchAsync(manifest.Select(["samples/good.mp4"]));
        Assert.Equal(1, repaired.Copied);
        Assert.Equal(good, await File.ReadAllBytesAsync(Path.Combine(data, "samples", "good.mp4")));

        var problems = await DataStore.VerifyAsync(data, manifest.Files(withModels: false));
        Assert.Equal(2, problems.Count); // bad.mp4 and nowhere.mp4 missing
        Assert.Throws<ArgumentException>(() => manifest.Select(["samples/other.mp4"]));
    }

    [Fact]
    public async Task Verify_checks_download_only_files_where_present_and_does_not_require_them()
    {
        using var dir = TestEnv.TempDir();
        byte[] good = RandomNumberGenerator.GetBytes(3000);
        var manifest = DataManifest.Parse($$"""
            { "sets": [ { "folder": "samples", "inShared": false, "licence": "test", "files": [
              { "name": "extra.mp4", "bytes": 3000, "sha256": "{{Sha(good)}}", "url": "https://example.invalid/extra.mp4" } ] } ] }
            """);
        var extra = Assert.Single(manifest.Files(withModels: false));
        Assert.False(extra.InShared);
        Assert.Empty(await DataStore.VerifyAsync(dir.Path, [extra]));            // absent: not a problem
        Directory.CreateDirectory(Path.Combine(dir.Path, "samples"));
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, "samples", "extra.mp4"), RandomNumberGenerator.GetBytes(3000));
        Assert.Contains("sha256", Assert.Single(await DataStore.VerifyAsync(dir.Path, [extra])));   // present and wrong: a problem
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, "samples", "extra.mp4"), good);
        Assert.Empty(await DataStore.VerifyAsync(dir.Path, [extra]));
    }

    [Fact]
    public void A_manifest_path_that_leaves_the_data_folder_is_refused()
    {
        var f = new DataFile { Name = "x", Sha256 = new string('0', 64), Path = "samples/../../etc/passwd" };
        Assert.Throws<InvalidDataException>(() => DataStore.Target("/tmp/data", f));
    }

    [Fact]
    public void Version_prints_the_version_and_the_default_models_name_and_sha256()
    {
        var manifest = ModelManifest.Embedded;
        foreach (var args in new[] { new[] { "--version" }, new[] { "version" } })
        {
            var r = CliRunner.Run(args);
            Assert.Equal(0, r.ExitCode);
            Assert.Matches(@"^plateblur \d+\.\d+\.\d+", r.Stdout);
            Assert.Contains($"{manifest.Default} sha256 {manifest.Find(manifest.Default).Sha256}", r.Stdout);
        }
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PlateBlur.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("PlateBlur.slnx not found above the test binaries");
    }
}
