using Vitmix.Data;
using Vitmix.Model;
using Vitmix.Model.Checkpoints;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>DeiT-distilled, LayerScale and register-token checkpoints load, predict and explain over the patches only.</summary>
public class ModelVariantTests
{
    [Theory]
    [InlineData("distilled")]
    [InlineData("layerscale")]
    [InlineData("registers")]
    [InlineData("avgpool")]
    public void VariantsLoadPredictAndExplainPatchesOnly(string variant)
    {
        var config = variant switch
        {
            "distilled" => TinyModels.Config(distilled: true),
            "layerscale" => TinyModels.Config(layerScale: true),
            "registers" => TinyModels.Config(registers: 2),
            _ => TinyModels.Config(avgPool: true),
        };
        var model = TinyModels.Random(config, seed: 9);
        using var tmp = new TempDir();
        string weights = tmp.Combine("model.safetensors");
        SafeTensorsWriter.WriteModel(weights, model);
        var loaded = ModelLoader.Load(weights);
        Assert.Equal(config, loaded.Config);
        var input = TinyModels.RandomInput(config, 1, seed: 1);
        string npy = tmp.Combine("x.npy");
        Npy.WriteFloat32(npy, input.Data, 1, 3, config.ImageHeight, config.ImageWidth);

        var predict = CliRunner.Run("predict", npy, "--model", weights, "--json");
        Assert.True(predict.ExitCode == 0, predict.Err);
        var expected = model.Forward(input).Data;
        var logits = System.Text.Json.JsonDocument.Parse(predict.OutLines[0]).RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(expected, logits);

        var explain = CliRunner.Run("explain", npy, "--model", weights, "--methods", "all", "--raw", "--out", tmp.Combine("out"));
        Assert.True(explain.ExitCode == 0, explain.Err);
        foreach (var m in new[] { "rollout", "gradcam", "saliency", "lrp" })
            Assert.Equal([config.GridHeight, config.GridWidth], Npy.Read(tmp.Combine("out", "x", m + ".npy")).Shape);
    }

    [Fact]
    public void ANonNativeImageSizeResamplesThePositionEmbeddingBicubically()
    {
        string weights = GoldenData.Path(GoldenData.Sets[0], "weights.safetensors"); // 32 px, patch 8: a 4x4 grid
        var native = ModelLoader.Load(weights);
        var big = ModelLoader.Load(weights, new ModelOverrides { ImageSize = 48 });   // 6x6 grid
        Assert.Equal(48, big.Config.ImageHeight);
        Assert.Equal(48, big.Preprocessing.InputHeight);
        int d = native.Config.EmbedDim;
        var pos = big.Network.Weights.PosEmbed;
        Assert.Equal((1 + 36) * d, pos.Length);
        // The class token's row is kept as it was.
        Assert.Equal(native.Network.Weights.PosEmbed.AsSpan(0, d).ToArray(), pos.AsSpan(0, d).ToArray());
        // Output (0, 0) of a 4→6 bicubic resize (align_corners = false, A = -0.75): source coordinate
        // (0 + 0.5)·(4/6) − 0.5 = −1/6 in both axes; taps at −2..1 clamped to the border, cubic weights by hand.
        double t = 5.0 / 6; // fractional offset from floor(−1/6) = −1
        double A = -0.75;
        double W1(double x) => ((A + 2) * x - (A + 3)) * x * x + 1;           // |x| <= 1
        double W2(double x) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;      // 1 < |x| < 2
        double[] w = [W2(1 + t), W1(t), W1(1 - t), W2(2 - t)];
        int[] taps = [0, 0, 0, 1]; // indices −2, −1, 0, 1 clamped to [0, 3]
        var src = native.Network.Weights.PosEmbed;
        for (int ch = 0; ch < d; ch += 7)
        {
            double expected = 0;
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    expected += w[i] * w[j] * src[(1 + taps[i] * 4 + taps[j]) * d + ch];
            Assert.Equal(expected, pos[d + ch], 5);
        }
        // And the model runs at the new size.
        var logits = big.Network.Forward(new Vitmix.Engine.Tensor(1, 3, 48, 48));
        Assert.Equal(native.Config.NumClasses, logits.Length);
    }

    [Fact]
    public void TimmsAntialiasedResamplingIsAvailableOnRequest()
    {
        string weights = GoldenData.Path(GoldenData.Sets[0], "weights.safetensors"); // timm keys, 32 px, patch 8: 4x4 grid
        var native = ModelLoader.Load(weights);
        var big = ModelLoader.Load(weights, new ModelOverrides { ImageSize = 48, PosEmbedInterpolation = PositionEmbeddingInterpolation.AntialiasedBicubic });
        Assert.Contains("antialiased as timm", big.ConfigSource);
        int d = native.Config.EmbedDim;
        var pos = big.Network.Weights.PosEmbed;
        Assert.Equal((1 + 36) * d, pos.Length);
        // The class token's row is kept as it was.
        Assert.Equal(native.Network.Weights.PosEmbed.AsSpan(0, d).ToArray(), pos.AsSpan(0, d).ToArray());
        // Output (0, 0) of timm's 4→6 antialiased bicubic (PIL's kernel, Keys a = −0.5): scale 4/6 < 1, so support 2
        // around the centre (0 + 0.5)·(4/6) = 1/3; taps j = 0, 1 (j = −1 lies outside the image and is dropped) at
        // distances |j + 0.5 − 1/3| = 1/6 and 7/6, weights renormalised to sum 1.
        double A = -0.5;
        double W1(double x) => ((A + 2) * x - (A + 3)) * x * x + 1;           // |x| <= 1
        double W2(double x) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;      // 1 < |x| < 2
        double[] w = [W1(1.0 / 6), W2(7.0 / 6)];
        double sum = w[0] + w[1];
        w = [w[0] / sum, w[1] / sum];
        var src = native.Network.Weights.PosEmbed;
        for (int ch = 0; ch < d; ch += 7)
        {
            double expected = 0;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    expected += w[i] * w[j] * src[(1 + i * 4 + j) * d + ch];
            Assert.Equal(expected, pos[d + ch], 5);
        }
    }
}
