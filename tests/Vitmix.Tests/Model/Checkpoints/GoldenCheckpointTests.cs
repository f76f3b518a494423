using Vitmix.Data;
using System.Text.Json;
using Vitmix.Model;

namespace Vitmix.Tests.Model.Checkpoints;

/// <summary>The golden weights.safetensors + config.json load into a network that reproduces the reference logits.</summary>
public class GoldenCheckpointTests
{
    public static TheoryData<string, string> SetsAndImages()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    public static string Weights(string set) => Path.Combine(GoldenData.SetDir(set), "weights.safetensors");

    [Theory]
    [MemberData(nameof(SetsAndImages))]
    public void LogitsMatchTheReferenceWithinTolerance(string set, string image)
    {
        var model = ModelLoader.Load(Weights(set));
        var logits = model.Network.Forward(GoldenData.Input(set, image)).Data;
        var want32 = GoldenData.Array(set, image, "logits");
        var want64 = GoldenData.Array64(set, image, "logits");
        double tol = GoldenData.Tolerance(set, image, "logits");
        Assert.Equal(want32.Length, logits.Length);
        double d32 = logits.Zip(want32, (a, b) => Math.Abs((double)a - b)).Max();
        double d64 = logits.Zip(want64, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(d32 <= tol && d64 <= tol,
            $"{set}/{image}: max |logits - logits.npy| = {d32:G3}, max |logits - f64/logits.npy| = {d64:G3}, tolerance {tol:G3}; " +
            $"got [{string.Join(", ", logits)}], expected [{string.Join(", ", want32)}]");
        Assert.Equal(GoldenData.ImageManifest(set, image).GetProperty("pred_class").GetInt32(), Array.IndexOf(logits, logits.Max()));
    }

    [Theory]
    [InlineData("vit32_p8_d48_l3_h3_c10")]
    [InlineData("vit64_p16_d64_l4_h4_c5")]
    public void ModelArgsOverrideTheNamedArchitecture(string set)
    {
        // config.json names vit_base_patch16_224 (768 wide, 12 heads) but its model_args describe the tiny model.
        var m = GoldenData.Manifest(set).GetProperty("config");
        var model = ModelLoader.Load(Weights(set));
        var c = model.Config;
        Assert.Equal(m.GetProperty("img_size").GetInt32(), c.ImageHeight);
        Assert.Equal(m.GetProperty("img_size").GetInt32(), c.ImageWidth);
        Assert.Equal(m.GetProperty("patch_size").GetInt32(), c.PatchSize);
        Assert.Equal(m.GetProperty("embed_dim").GetInt32(), c.EmbedDim);
        Assert.Equal(m.GetProperty("depth").GetInt32(), c.Depth);
        Assert.Equal(m.GetProperty("num_heads").GetInt32(), c.NumHeads);
        Assert.Equal(m.GetProperty("num_classes").GetInt32(), c.NumClasses);
        Assert.Equal(m.GetProperty("mlp_hidden").GetInt32(), c.MlpHidden);
        Assert.True(c.QkvBias);
        Assert.Equal(1e-6f, c.LayerNormEps);
        Assert.True(c.ClassToken);
        Assert.False(c.Distilled || c.LayerScale || c.NoEmbedClass || c.FcNorm);
        Assert.Equal(0, c.RegisterTokens);
        Assert.Equal(CheckpointLayout.Timm, model.Layout);
        Assert.Contains("config.json model_args (", model.ConfigSource);
        Assert.Equal(Path.GetFullPath(Weights(set)), Path.GetFullPath(model.WeightsPath));

        // pretrained_cfg: mean/std 0.5, crop_pct 1.0, bilinear, input_size [3, S, S]
        var p = model.Preprocessing;
        Assert.Equal([0.5f, 0.5f, 0.5f], p.Mean);
        Assert.Equal([0.5f, 0.5f, 0.5f], p.Std);
        Assert.Equal(1.0, p.CropPct);
        Assert.Equal("bilinear", p.Interpolation);
        Assert.Equal(ResizeMode.Crop, p.Resize);
        Assert.Equal(c.ImageHeight, p.InputHeight);
        Assert.Null(model.ClassNames);
    }

    [Fact]
    public void ConfigJsonOfTheGoldenSetIsWhatTheTestAssumes()
    {
        // Guards the premise of ModelArgsOverrideTheNamedArchitecture.
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenData.SetDir(GoldenData.Sets[0]), "config.json")));
        Assert.Equal("vit_base_patch16_224", doc.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(48, doc.RootElement.GetProperty("model_args").GetProperty("embed_dim").GetInt32());
    }
}
