using System.Text.Json.Nodes;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Model.Checkpoints;
using static Vitmix.Tests.Hostile.HostileFiles;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Hostile config.json values and size options through the CLI: the values the flags refuse are refused in a config
/// too, and sizes that cannot fit (tokens, depth, classes) are refused before anything of their size is allocated.
/// </summary>
public sealed class HostileConfigTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    static JsonObject Args(JsonObject config) => config["model_args"]!.AsObject();
    static JsonObject Pretrained(JsonObject config) => config["pretrained_cfg"]!.AsObject();

    string Weights(string folder) => Path.Combine(folder, "model.safetensors");

    [Fact]
    public void ZeroStdIsRefusedAsTheStdFlagIs()
    {
        string model = Folder(tmp, c => Pretrained(c)["std"] = new JsonArray(0, 0, 0));
        string outDir = tmp.File("maps");
        var r = CliRunner.Run("explain", InputPng, "--model", model, "--methods", "rollout", "--out", outDir);
        AssertRefused(r, Weights(model), "std [0, 0, 0]: expected 3 values, each a positive number", outDir);
        Assert.Contains("config.json", r.ErrLines[0]);
        // the flag with the same value is refused by the same rule
        AssertRefused(CliRunner.Run("info", "--model", GoldenWeights, "--std", "0,0,0"), "--std", "positive");
    }

    [Fact]
    public void StdWithTwoValuesIsRefused()
    {
        string model = Folder(tmp, c => Pretrained(c)["std"] = new JsonArray(0.5, 0.5));
        var r = CliRunner.Run("predict", InputPng, "--model", model, "--json");
        AssertRefused(r, "config.json", "\"std\" is [0.5,0.5], expected 3 numbers");
    }

    [Fact]
    public void NegativeEpsIsRefused()
    {
        string model = Folder(tmp, c => Args(c)["layer_norm_eps"] = -1);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Weights(model), "LayerNorm eps -1: expected a positive number");
        AssertRefused(CliRunner.Run("info", "--model", GoldenWeights, "--eps", "-1"), "--eps", "expected a positive number");
    }

    [Fact]
    public void NanEpsAsPythonWritesItIsRefused()
    {
        // json.dumps writes float('nan') as a bare NaN, which is not JSON: the file is refused by name.
        string text = File.ReadAllText(GoldenConfig).Replace("\"depth\": 3,", "\"depth\": 3, \"layer_norm_eps\": NaN,");
        Assert.Contains("NaN", text);
        string model = FolderWithConfigText(tmp, text);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Path.Combine(model, "config.json"), "not valid JSON");
        Assert.Contains("NaN and Infinity, as Python's json module writes non-finite floats, are not JSON numbers", r.ErrLines[0]);
    }

    [Fact]
    public void InfiniteEpsIsRefused()
    {
        // 1e999 parses as +∞ (and 1e-999 as 0): neither is a usable epsilon.
        string text = File.ReadAllText(GoldenConfig).Replace("\"depth\": 3,", "\"depth\": 3, \"layer_norm_eps\": 1e999,");
        string model = FolderWithConfigText(tmp, text);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Weights(model), "LayerNorm eps Infinity: expected a positive number");
    }

    [Fact]
    public void MillionBlocksAreRefusedByCountingNotByListing()
    {
        string model = Folder(tmp, c => Args(c)["depth"] = 1_000_000);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Weights(model), "missing keys: 999997 blocks (the config has 1000000, the file blocks 0 to 2)");
    }

    [Fact]
    public void BillionPixelImageSizeFlagIsRefused()
    {
        var r = CliRunner.Run("predict", InputPng, "--model", GoldenWeights, "--image-size", "1000000000", "--json");
        AssertRefused(r, GoldenWeights, "image 1000000000x1000000000 at patch 8 gives 15,625,000,000,000,001 tokens, more than an array can hold");
    }

    [Fact]
    public void BillionPixelImageSizeInTheConfigIsRefused()
    {
        string model = Folder(tmp, c =>
        {
            Args(c)["img_size"] = 1_000_000_000;
            Pretrained(c)["input_size"] = new JsonArray(3, 1_000_000_000, 1_000_000_000);
        });
        var r = CliRunner.Run("info", "--model", model);
        AssertRefused(r, Weights(model), "15,625,000,000,000,001 tokens, more than an array can hold");
    }

    [Fact]
    public void ImageSizeWhoseTokensOverflowAnIntIsRefused()
    {
        // 2048 / 8 = 256: 65,536 patches and the class token; N² wraps an int.
        var r = CliRunner.Run("predict", InputPng, "--model", GoldenWeights, "--image-size", "2048", "--json");
        AssertRefused(r, GoldenWeights, "one attention head's scores over 65,537 tokens would need 4,295,098,369 values");
    }

    [Fact]
    public void HeadsNotDividingTheWidthAreRefused()
    {
        string model = Folder(tmp, c => Args(c)["num_heads"] = 5);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Weights(model), "5 heads do not divide embed dim 48");
    }

    [Fact]
    public void HugeClassCountIsRefusedBeforeItsHeadIsAllocated()
    {
        string model = Folder(tmp, c => { Args(c)["num_classes"] = 2_000_000_000; c["num_classes"] = 2_000_000_000; });
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Weights(model), "head.weight [2000000000, 48] would have 96,000,000,000 elements, more than an array can hold");
    }

    [Theory]
    [InlineData("crop_pct", 0.0, "crop_pct 0: expected a number in (0, 1]")]
    [InlineData("crop_pct", 1.5, "crop_pct 1.5: expected a number in (0, 1]")]
    public void CropPctOutsideItsRangeIsRefused(string field, double value, string expected)
    {
        string model = Folder(tmp, c => Pretrained(c)[field] = value);
        var r = CliRunner.Run("predict", InputPng, "--model", model, "--json");
        AssertRefused(r, Weights(model), expected);
        AssertRefused(CliRunner.Run("info", "--model", GoldenWeights, "--crop-pct", value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "--crop-pct", "expected a number in (0, 1]");
    }

    [Fact]
    public void InfiniteMeanIsRefused()
    {
        string text = File.ReadAllText(GoldenConfig).Replace("\"mean\": [", "\"mean\": [1e999, 0.5, 0.5], \"unused\": [");
        string model = FolderWithConfigText(tmp, text);
        var r = CliRunner.Run("predict", InputPng, "--model", model, "--json");
        AssertRefused(r, Weights(model), "mean [Infinity, 0.5, 0.5]: expected 3 values, each a finite number");
    }

    [Fact]
    public void NegativeMlpRatioIsRefused()
    {
        string model = Folder(tmp, c => Args(c)["mlp_ratio"] = -4.0);
        var r = CliRunner.Run("predict", InputNpy, "--model", model, "--json");
        AssertRefused(r, Weights(model), "mlp_ratio -4");
    }

    [Fact]
    public void MaxMemoryFlagRejectsWhatIsNotASize()
    {
        AssertRefused(CliRunner.Run("info", "--model", GoldenWeights, "--max-memory", "lots"), "--max-memory", "expected a positive size");
        AssertRefused(CliRunner.Run("info", "--model", GoldenWeights, "--max-memory", "0"), "--max-memory", "expected a positive size");
    }
}
