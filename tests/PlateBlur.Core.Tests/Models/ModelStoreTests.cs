using PlateBlur.Core.Detection;
using PlateBlur.Core.Models;
using PlateBlur.Testing;

namespace PlateBlur.Core.Tests.Models;

public class ModelStoreTests
{
    private static ModelSpec Spec(string sha) => new()
    {
        Name = "tiny", File = "tiny.onnx", MirrorPath = "sub/tiny.onnx", Sha256 = sha, Licence = "test", Layout = OutputLayout.Yolov5,
    };

    [Fact]
    public async Task Mirror_copy_is_verified_and_cached()
    {
        using var dir = TestEnv.TempDir();
        Directory.CreateDirectory(dir.File("mirror/sub"));
        await File.WriteAllTextAsync(dir.File("mirror/sub/tiny.onnx"), "model bytes");
        string sha = await ModelStore.Sha256Async(dir.File("mirror/sub/tiny.onnx"));
        var store = new ModelStore(dir.File("cache"), dir.File("mirror"), new ModelManifest("tiny", "tiny", [Spec(sha)]));
        string path = await store.FetchAsync(Spec(sha));
        Assert.Equal(dir.File("cache/tiny.onnx"), path);
        Assert.Equal("model bytes", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_file_with_the_wrong_sha256_is_refused_and_not_cached()
    {
        using var dir = TestEnv.TempDir();
        Directory.CreateDirectory(dir.File("mirror/sub"));
        await File.WriteAllTextAsync(dir.File("mirror/sub/tiny.onnx"), "tampered");
        var spec = Spec(new string('0', 64));
        var store = new ModelStore(dir.File("cache"), dir.File("mirror"), new ModelManifest("tiny", "tiny", [spec]));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.FetchAsync(spec));
        Assert.Contains("does not match", e.Message);
        Assert.Empty(Directory.GetFiles(dir.File("cache")));
    }

    [Fact]
    public void Downloaded_models_have_a_url_and_the_bundled_default_matches_its_sha256()
    {
        var m = ModelManifest.Embedded;
        foreach (var spec in m.Models.Where(s => s.BundledPath == null))
        {
            Assert.StartsWith("https://", spec.Url);
            Assert.Equal(64, spec.Sha256.Length);
        }
        Assert.Equal("y5fu_640x_sim.onnx", m.Find("hyperlpr3-640").File);
        Assert.Equal(OutputLayout.Yolox, m.Find(m.VehicleDefault).Layout);

        // The default is PlateBlur's own model, committed under models/ and copied beside the binaries.
        var d = m.Find(m.Default);
        Assert.Equal("plateblur-plate-800.onnx", d.BundledPath);
        Assert.Equal(OutputLayout.Yolov5Face, d.Layout);
        Assert.Equal(800, d.InputSize);
        Assert.Equal("Apache-2.0", d.Licence);
        string bundled = Path.Combine(AppContext.BaseDirectory, "models", d.BundledPath!);
        Assert.True(File.Exists(bundled), $"{bundled} is missing");
        Assert.True(new FileInfo(bundled).Length < 10_000_000);
        Assert.Equal(d.Sha256, ModelStore.Sha256Async(bundled).GetAwaiter().GetResult());
    }
}

/// <summary>A user's own model (a path, not a catalogue name) is searched at the input size it was made for.</summary>
public class CustomModelInputSizeTests
{
    private static string Shipped => Path.Combine(AppContext.BaseDirectory, "models", "plateblur-plate-800.onnx");

    /// <summary>The shipped model's bytes with one ONNX ModelProto.metadata_props entry (field 14) appended: protobuf merges
    /// repeated fields found later in the message, so the result is a valid model with that metadata and a new sha256.</summary>
    private static byte[] WithMetadata(string key, string value)
    {
        static byte[] Field(int number, byte[] payload)
        {
            var b = new List<byte> { (byte)((number << 3) | 2) };
            for (uint n = (uint)payload.Length; ; n >>= 7)
            {
                if (n < 0x80) { b.Add((byte)n); break; }
                b.Add((byte)(n & 0x7f | 0x80));
            }
            b.AddRange(payload);
            return [.. b];
        }
        var entry = Field(1, System.Text.Encoding.UTF8.GetBytes(key)).Concat(Field(2, System.Text.Encoding.UTF8.GetBytes(value))).ToArray();
        return [.. File.ReadAllBytes(Shipped), .. Field(14, entry)];
    }

    [Fact]
    public async Task A_dynamic_model_takes_its_input_size_from_metadata_else_640_and_a_renamed_catalogue_model_keeps_its_spec()
    {
        using var dir = TestEnv.TempDir();
        var store = new ModelStore(dir.File("cache"), null);

        // The shipped file under another name: same bytes, so the catalogue's spec (800 px, its thresholds).
        File.Copy(Shipped, dir.File("renamed.onnx"));
        var (renamed, _) = await store.ResolveAsync(dir.File("renamed.onnx"));
        Assert.Equal("plateblur-plate-800", renamed.Name);
        Assert.Equal(800, renamed.InputSize);

        // A candidate exported at 800 with a dynamic input and the metadata export_dynamic.py writes.
        File.WriteAllBytes(dir.File("candidate.onnx"), WithMetadata(ModelStore.InputSizeKey, "800"));
        var log = new List<string>();
        var (candidate, path) = await store.ResolveAsync(dir.File("candidate.onnx"), new SyncProgress(log));
        Assert.Equal("candidate", candidate.Name);
        Assert.Equal(800, candidate.InputSize);
        Assert.Equal(OutputLayout.Yolov5Face, candidate.Layout);
        Assert.Contains(log, l => l.Contains("input 800 px (metadata)"));
        Assert.Equal((800, "metadata"), ModelStore.InputSizeOf(path));

        // Dynamic, without the metadata: the documented fallback, and the log says why.
        File.WriteAllBytes(dir.File("other.onnx"), WithMetadata("author", "someone"));
        log.Clear();
        var (other, _) = await store.ResolveAsync(dir.File("other.onnx"), new SyncProgress(log));
        Assert.Equal(640, other.InputSize);
        Assert.Contains(log, l => l.Contains("carries no plateblur.input_size"));

        // Nonsense metadata is refused with the reason, not run at a wrong scale.
        File.WriteAllBytes(dir.File("bad.onnx"), WithMetadata(ModelStore.InputSizeKey, "801"));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.ResolveAsync(dir.File("bad.onnx")));
        Assert.Contains("not a multiple of 32", e.Message);
    }

    private sealed class SyncProgress(List<string> sink) : IProgress<string>
    {
        public void Report(string value) { lock (sink) sink.Add(value); }
    }
}

/// <summary>Scores are not comparable between models: each plate model carries its own default threshold, and the
/// continue and QC thresholds follow the threshold unless set.</summary>
public class ModelThresholdTests
{
    [Fact]
    public void Each_plate_model_brings_its_own_threshold_and_explicit_settings_win()
    {
        var manifest = ModelManifest.Embedded;
        var own = manifest.Find("plateblur-plate-800");
        Assert.NotNull(own.Threshold);
        Assert.Equal(0.1f, manifest.Find("hyperlpr3-640").Threshold);

        var byDefault = new PlateBlurOptions { Model = "hyperlpr3-640" };
        Assert.Equal(0.1f, byDefault.EffectiveThreshold);
        Assert.Equal(0.05f, byDefault.EffectiveContinueThreshold, 5);
        Assert.Equal(0.08f, byDefault.EffectiveQcThreshold, 5);
        Assert.Equal(0.1f, byDefault.ScanOptions().Threshold);
        Assert.Equal(0.1f, byDefault.TrackingOptions().StartThreshold);

        var ownModel = new PlateBlurOptions { Model = "plateblur-plate-800" };
        Assert.Equal(own.Threshold!.Value, ownModel.EffectiveThreshold);
        Assert.Equal(own.QcThreshold!.Value, ownModel.EffectiveQcThreshold);
        // a path to a file the manifest knows counts as that model; an unknown file gets the fallback
        Assert.Equal(own.Threshold.Value, new PlateBlurOptions { Model = "/somewhere/plateblur-plate-800.onnx" }.EffectiveThreshold);
        Assert.Equal(PlateBlurOptions.FallbackThreshold, new PlateBlurOptions { Model = "/somewhere/mine.onnx" }.EffectiveThreshold);

        var set = ownModel with { Threshold = 0.2f, ContinueThreshold = 0.5f, QcThreshold = 0.9f };
        Assert.Equal(0.2f, set.ScanOptions().Threshold);
        Assert.Equal(0.2f, set.EffectiveContinueThreshold); // never above the threshold
        Assert.Equal(0.9f, set.EffectiveQcThreshold); // QC counts confident plates left visible: it may sit above the threshold
        Assert.Equal(0.08f, new PlateBlurOptions { Model = "/somewhere/mine.onnx" }.EffectiveQcThreshold, 5);
    }
}
