using System.Text.Json;
using Vitmix.Data;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Model.Checkpoints;
using static Vitmix.Tests.Hostile.HostileFiles;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Hostile weight files through the CLI: non-finite weights, sizes that overflow, PyTorch pickles and zips, offsets
/// past any file. Each is refused on one line naming the file and the problem, with nothing written.
/// </summary>
public sealed class HostileCheckpointTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    [Fact]
    public void NanWeightIsRefusedNamingTheTensorAndElement()
    {
        string model = FolderWithWeights(tmp, s => s["blocks.0.attn.qkv.weight"].Data[17] = float.NaN);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Path.Combine(model, "model.safetensors"), "tensor blocks.0.attn.qkv.weight holds NaN at element 17");
    }

    [Fact]
    public void InfiniteWeightIsRefusedNamingTheTensorAndElement()
    {
        string model = FolderWithWeights(tmp, s => s["head.weight"].Data[5] = float.PositiveInfinity);
        string outDir = tmp.File("maps");
        var r = CliRunner.Run("explain", InputNpy, "--model", model, "--methods", "rollout", "--out", outDir);
        AssertRefused(r, Path.Combine(model, "model.safetensors"), "tensor head.weight holds +Inf at element 5", outDir);
    }

    [Fact]
    public void NanInThePositionEmbeddingIsRefused()
    {
        string model = FolderWithWeights(tmp, s => s["pos_embed"].Data[^1] = float.NaN);
        int last = CheckpointTestFiles.ReadF32(GoldenWeights)["pos_embed"].Data.Length - 1;
        var r = CliRunner.Run("info", "--model", model);
        AssertRefused(r, Path.Combine(model, "model.safetensors"), $"tensor pos_embed holds NaN at element {last}");
    }

    [Fact]
    public void PatchOneCheckpointWhoseTokensOverflowIsRefusedBeforeRunning()
    {
        // 65,537 tokens: N² = 4,295,098,369 wraps an int to 131,073, and the attention GEMM once wrote past its array.
        string path = PatchOneCheckpoint(tmp);
        Assert.InRange(new FileInfo(path).Length, 1_000_000, 1_200_000);
        var r = CliRunner.Run("predict", InputNpy, "--model", path, "--json");
        AssertRefused(r, path, "one attention head's scores over 65,537 tokens would need 4,295,098,369 values, more than an array can hold");
    }

    [Fact]
    public void PatchOneCheckpointRunsWhenAskedForFewerTokens()
    {
        // The refusal is about the size it would run at, not the checkpoint: at 32 pixels it has 1,025 tokens.
        string path = PatchOneCheckpoint(tmp);
        string input = tmp.File("x.npy");
        Npy.WriteFloat32(input, new float[3 * 32 * 32], 1, 3, 32, 32);
        var r = CliRunner.Run("predict", input, "--model", path, "--image-size", "32", "--json");
        Assert.Equal("", r.Err);
        Assert.Equal(0, r.ExitCode);
    }

    [Theory]
    [InlineData("model.bin", "pickle")]
    [InlineData("model.pth", "zip")]
    [InlineData("model.safetensors", "pickle")] // a pickle renamed: the bytes decide, not the name
    public void PyTorchCheckpointsAreRecognisedWithAConversionHint(string name, string kind)
    {
        string path = tmp.File(name);
        File.WriteAllBytes(path, kind == "pickle" ? PickleBytes() : ZipBytes());
        var r = CliRunner.Run("predict", InputNpy, "--model", path, "--json");
        AssertRefused(r, path, kind == "pickle" ? "is a Python pickle" : "is a zip archive");
        Assert.Contains("Vitmix loads only safetensors", r.ErrLines[0]);
        Assert.Contains($"torch.load(\"{name}\"", r.ErrLines[0]);
        Assert.Contains("save_file(", r.ErrLines[0]);
    }

    [Fact]
    public void FolderWithOnlyAPyTorchCheckpointSaysSo()
    {
        string dir = Directory.CreateDirectory(tmp.File("hf")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "pytorch_model.bin"), PickleBytes());
        var r = CliRunner.Run("info", "--model", dir);
        AssertRefused(r, dir, "only the PyTorch checkpoint pytorch_model.bin");
        Assert.Contains("Vitmix loads only safetensors", r.ErrLines[0]);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[201],"data_offsets":[9223372036854775000,9223372036854775804]}}""", "data_offsets [9223372036854775000, 9223372036854775804] leave a hole")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,9223372036854775807]}}""", "is too large")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}""", "data offset 18446744073709551615 is not a non-negative integer")]
    public void OverflowingDataOffsetsAreRefused(string header, string expected)
    {
        // Offsets whose sum with the data start, or whose element count times the width, overflows 64 bits.
        string path = CheckpointTestFiles.Raw(tmp.File("model.safetensors"), header, CheckpointTestFiles.Floats(1, 2, 3, 4));
        var r = CliRunner.Run("predict", InputNpy, "--model", path, "--json");
        AssertRefused(r, path, expected);
    }

    [Fact]
    public void ZeroWidthTensorCannotSmuggleAWrappingDimension()
    {
        // [4294967297, 0, 1, 1] holds no bytes, so the layout checks pass; cast to int its width would read as 1.
        string path = CheckpointTestFiles.Raw(tmp.File("model.safetensors"),
            """{"patch_embed.proj.weight":{"dtype":"F32","shape":[4294967297,0,1,1],"data_offsets":[0,0]}}""", []);
        var r = CliRunner.Run("predict", InputNpy, "--model", path, "--heads", "3", "--json");
        AssertRefused(r, path, "tensor patch_embed.proj.weight implies a size of 4294967297");
    }

    [Fact]
    public void NanInputFailsAloneWhileTheOtherInputIsPredicted()
    {
        var input = Npy.Read(InputNpy).ToFloat();
        input[100] = float.NaN;
        string bad = tmp.File("bad.npy");
        Npy.WriteFloat32(bad, input, 1, 3, 32, 32);
        var r = CliRunner.Run("predict", bad, InputNpy, "--model", GoldenWeights, "--json");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: ", line);
        Assert.Contains(bad + ": the model's logits are not finite (NaN at class 0)", line);
        Assert.DoesNotContain("Exception", line);
        // the bad input printed nothing; the good one its usual line
        var json = Assert.Single(r.OutLines);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(InputNpy, doc.RootElement.GetProperty("input").GetString());
        Assert.All(doc.RootElement.GetProperty("logits").EnumerateArray(), v => Assert.Equal(JsonValueKind.Number, v.ValueKind));
    }

    [Fact]
    public void ModelOverTheMemoryLimitIsRefusedWithBothSizesAndTheFlags()
    {
        string outDir = tmp.File("maps");
        var r = CliRunner.Run("explain", InputNpy, "--model", GoldenWeights, "--max-memory", "100K", "--out", outDir);
        AssertRefused(r, GoldenWeights, "but the memory limit is 100.0 KB; lower --image-size or raise --max-memory", outDir);
        Assert.Contains("activations", r.ErrLines[0]);
        Assert.Contains("of an explanation pass at batch 1", r.ErrLines[0]);
        var info = CliRunner.Run("info", "--model", GoldenWeights, "--max-memory", "64M");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("an explanation pass", info.Out);
    }
}
