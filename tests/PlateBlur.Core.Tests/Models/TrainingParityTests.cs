using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PlateBlur.Testing;
using Xunit.Abstractions;

namespace PlateBlur.Core.Tests.Models;

/// <summary>The training code's PyTorch rebuild of HyperLPR3 y5fu (models/training) against ONNX Runtime on the same real image.</summary>
public class TrainingParityTests(ITestOutputHelper log)
{
    private const string Python = "/usr/bin/python3";

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "PlateBlur.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    [SharedFact]
    public void Rebuilt_network_reproduces_onnx_runtime_on_a_real_photo()
    {
        bool torch = File.Exists(Python) && TestEnv.Run(Python, "-c \"import torch, onnx, cv2; print('ok')\"").Trim() == "ok";
        Assert.True(torch, $"{Python} needs python3-torch, python3-onnx and python3-opencv (scripts/test.sh installs them with apt)");
        using var dir = TestEnv.TempDir();
        string model = TestEnv.Shared("models", "hyperlpr3", "y5fu_640x_sim.onnx");
        string image = TestEnv.Shared("data", "openalpr-eu", "eu1.jpg");
        TestEnv.Run(Python, $"{Path.Combine(RepoRoot(), "models", "training", "parity.py")} --model \"{model}\" --image \"{image}\" --out \"{dir.Path}\"", 600);

        using var meta = JsonDocument.Parse(File.ReadAllText(dir.File("parity.json")));
        int[] inShape = meta.RootElement.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var input = ReadFloats(dir.File("input.bin"));
        var expected = ReadFloats(dir.File("torch_output.bin"));

        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(input, inShape))]);
        var actual = results.First().AsTensor<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);

        // Rows of 15: cx, cy, w, h, objectness, 8 corner values, 2 class scores.
        double maxCoord = 0, maxScore = 0, magnitude = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            int col = i % 15;
            if (col == 4 || col >= 13) maxScore = Math.Max(maxScore, d); else maxCoord = Math.Max(maxCoord, d);
            magnitude = Math.Max(magnitude, Math.Abs(actual[i]));
        }
        log.WriteLine($"max abs difference: coordinates {maxCoord:g3} (outputs up to {magnitude:0.#}), scores {maxScore:g3}");
        Assert.True(maxCoord <= 2e-3, $"coordinates differ by {maxCoord}");
        Assert.True(maxScore <= 1e-5, $"scores differ by {maxScore}");
    }
}
