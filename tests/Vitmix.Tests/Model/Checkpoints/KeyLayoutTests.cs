using Vitmix.Data;
using System.Text.Json;
using Vitmix.Model;
using static Vitmix.Tests.Model.Checkpoints.CheckpointTestFiles;

namespace Vitmix.Tests.Model.Checkpoints;

/// <summary>The golden weights renamed to Hugging Face and torchvision layouts load into the same network.</summary>
public class KeyLayoutTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    static (float[] Logits, LoadedModel Model) Reference(string set, string image)
    {
        var model = ModelLoader.Load(GoldenCheckpointTests.Weights(set));
        return (model.Network.Forward(GoldenData.Input(set, image)).Data, model);
    }

    static JsonElement Cfg(string set) => GoldenData.Manifest(set).GetProperty("config");

    string HuggingFaceConfig(string set, string folder, bool withEps = true, string? labels = null)
    {
        var c = Cfg(set);
        string json = $$"""
        {
          "architectures": ["ViTForImageClassification"], "model_type": "vit", "hidden_act": "gelu",
          "hidden_size": {{c.GetProperty("embed_dim")}}, "num_hidden_layers": {{c.GetProperty("depth")}},
          "num_attention_heads": {{c.GetProperty("num_heads")}}, "intermediate_size": {{c.GetProperty("mlp_hidden")}},
          "image_size": {{c.GetProperty("img_size")}}, "patch_size": {{c.GetProperty("patch_size")}}, "num_channels": 3,
          {{(withEps ? "\"layer_norm_eps\": 1e-06," : "")}} "qkv_bias": true {{(labels != null ? ", \"id2label\": " + labels : "")}}
        }
        """;
        string path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [MemberData(nameof(GoldenCheckpointTests.SetsAndImages), MemberType = typeof(GoldenCheckpointTests))]
    public void HuggingFaceLayoutGivesIdenticalLogits(string set, string image)
    {
        var (want, reference) = Reference(set, image);
        var timm = ReadF32(GoldenCheckpointTests.Weights(set));
        string folder = Directory.CreateDirectory(dir.File("hf")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), LayoutRenames.ToHuggingFace(timm), new Dictionary<string, string> { ["format"] = "pt" });
        int classes = Cfg(set).GetProperty("num_classes").GetInt32();
        string labels = "{" + string.Join(", ", Enumerable.Range(0, classes).Select(i => $"\"{i}\": \"class-{i}\"")) + "}";
        HuggingFaceConfig(set, folder, labels: labels);

        var model = ModelLoader.Load(folder);
        Assert.Equal(CheckpointLayout.HuggingFace, model.Layout);
        Assert.Equal(reference.Config, model.Config);
        Assert.Equal(want, model.Network.Forward(GoldenData.Input(set, image)).Data);
        Assert.Equal(Enumerable.Range(0, classes).Select(i => $"class-{i}"), model.ClassNames!);
        // the fused qkv is query, key, value stacked row-wise
        Assert.Equal(reference.Network.Weights.Blocks[1].QkvWeight, model.Network.Weights.Blocks[1].QkvWeight);
        // HF preprocessing: squash-resize, bilinear, mean/std 0.5
        Assert.Equal(ResizeMode.Squash, model.Preprocessing.Resize);
        Assert.Equal("bilinear", model.Preprocessing.Interpolation);
        Assert.Equal([0.5f, 0.5f, 0.5f], model.Preprocessing.Mean);
    }

    [Fact]
    public void HuggingFaceViTModelNamesWithoutPrefixAreAccepted()
    {
        string set = GoldenData.Sets[0], image = GoldenData.Images[0];
        var (want, _) = Reference(set, image);
        var timm = ReadF32(GoldenCheckpointTests.Weights(set));
        string folder = Directory.CreateDirectory(dir.File("hfbare")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), LayoutRenames.ToHuggingFace(timm, prefix: ""));
        HuggingFaceConfig(set, folder);
        var model = ModelLoader.Load(folder);
        Assert.Equal(CheckpointLayout.HuggingFace, model.Layout);
        Assert.Equal(want, model.Network.Forward(GoldenData.Input(set, image)).Data);
    }

    [Theory]
    [InlineData("vit32_p8_d48_l3_h3_c10", false)]
    [InlineData("vit64_p16_d64_l4_h4_c5", true)]
    public void TorchvisionLayoutGivesIdenticalLogits(string set, bool legacyMlpNames)
    {
        var c = Cfg(set);
        var timm = ReadF32(GoldenCheckpointTests.Weights(set));
        string path = dir.File("vit_tv.safetensors");
        WriteState(path, LayoutRenames.ToTorchvision(timm, legacyMlpNames));
        var model = ModelLoader.Load(path, new ModelOverrides { Heads = c.GetProperty("num_heads").GetInt32() });
        Assert.Equal(CheckpointLayout.Torchvision, model.Layout);
        Assert.Equal(1e-6f, model.Config.LayerNormEps);
        // torchvision's transform: shorter side 256, centre crop 224, bilinear, ImageNet statistics
        Assert.Equal([0.485f, 0.456f, 0.406f], model.Preprocessing.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], model.Preprocessing.Std);
        Assert.Equal(224.0 / 256.0, model.Preprocessing.CropPct, 12);
        Assert.Equal("bilinear", model.Preprocessing.Interpolation);
        foreach (var image in GoldenData.Images)
        {
            var (want, _) = Reference(set, image);
            Assert.Equal(want, model.Network.Forward(GoldenData.Input(set, image)).Data);
        }
    }

    [Fact]
    public void PositionResamplingIsPlainBicubicUnlessTheLibrarysOwnIsAskedFor()
    {
        // The same weights saved in the three layouts and run at 48 px (4x4 → 6x6 grid): plain bicubic for every
        // layout by default; with "library", timm antialiases, transformers stays plain, torchvision aligns corners.
        string set = GoldenData.Sets[0];
        var c = Cfg(set);
        int d = c.GetProperty("embed_dim").GetInt32();
        var timm = ReadF32(GoldenCheckpointTests.Weights(set));
        string hf = Directory.CreateDirectory(dir.File("hf-size")).FullName;
        WriteState(Path.Combine(hf, "model.safetensors"), LayoutRenames.ToHuggingFace(timm));
        HuggingFaceConfig(set, hf);
        string tv = dir.File("tv-size.safetensors");
        WriteState(tv, LayoutRenames.ToTorchvision(timm));
        float[] original = timm["pos_embed"].Data;
        foreach (bool library in new[] { false, true })
        {
            var resize = new ModelOverrides { ImageSize = 48, PosEmbedInterpolationOfLibrary = library };
            var loaded = new (LoadedModel Model, PositionEmbeddingInterpolation Library)[]
            {
                (ModelLoader.Load(GoldenCheckpointTests.Weights(set), resize), PositionEmbeddingInterpolation.AntialiasedBicubic),
                (ModelLoader.Load(hf, resize), PositionEmbeddingInterpolation.Bicubic),
                (ModelLoader.Load(tv, resize with { Heads = c.GetProperty("num_heads").GetInt32() }), PositionEmbeddingInterpolation.BicubicAlignCorners),
            };
            foreach (var (model, own) in loaded)
            {
                Assert.Equal(48, model.Config.ImageHeight);
                var want = library ? own : PositionEmbeddingInterpolation.Bicubic;
                foreach (var flavour in Enum.GetValues<PositionEmbeddingInterpolation>())
                {
                    float[] resampled = PositionEmbeddingResampler.Resample(original, 1, 4, 4, 6, 6, d, flavour);
                    if (flavour == want) Assert.Equal(resampled, model.Network.Weights.PosEmbed);
                    else Assert.NotEqual(resampled, model.Network.Weights.PosEmbed);
                }
            }
        }
    }

    [Fact]
    public void MissingAndMisshapenHuggingFaceKeysAreListedTogetherByTheirOwnNames()
    {
        string set = GoldenData.Sets[0];
        var hf = LayoutRenames.ToHuggingFace(ReadF32(GoldenCheckpointTests.Weights(set)));
        hf.Remove("vit.encoder.layer.1.attention.attention.key.weight");
        hf.Remove("vit.layernorm.bias");
        var (_, fc1) = hf["vit.encoder.layer.2.intermediate.dense.weight"];
        hf["vit.encoder.layer.2.intermediate.dense.weight"] = ([192, 24], fc1[..(192 * 24)]);
        hf["vit.extra.thing"] = ([1], [1f]);
        string folder = Directory.CreateDirectory(dir.File("bad")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), hf);
        HuggingFaceConfig(set, folder);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("missing keys: vit.encoder.layer.1.attention.attention.key.weight, vit.layernorm.bias", e.Message);
        Assert.Contains("unexpected keys: vit.extra.thing", e.Message);
        Assert.Contains("vit.encoder.layer.2.intermediate.dense.weight is [192, 24], expected [192, 48]", e.Message);
        Assert.DoesNotContain("blocks.", e.Message.Split("(config from")[0]);
    }

    [Fact]
    public void HuggingFaceConfigWithoutEpsUsesTheTransformersDefault()
    {
        string set = GoldenData.Sets[0];
        string folder = Directory.CreateDirectory(dir.File("hfeps")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), LayoutRenames.ToHuggingFace(ReadF32(GoldenCheckpointTests.Weights(set))));
        HuggingFaceConfig(set, folder, withEps: false);
        var model = ModelLoader.Load(folder);
        Assert.Equal(1e-12f, model.Config.LayerNormEps);
        Assert.Contains("config.json (Hugging Face)", model.ConfigSource);
    }

    [Fact]
    public void PreprocessorConfigBesideAHuggingFaceModelSetsItsTransform()
    {
        string set = GoldenData.Sets[0];
        string folder = Directory.CreateDirectory(dir.File("hfpre")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), LayoutRenames.ToHuggingFace(ReadF32(GoldenCheckpointTests.Weights(set))));
        HuggingFaceConfig(set, folder);
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), """
            {"do_normalize": true, "do_resize": true, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
             "resample": 3, "size": {"height": 36, "width": 36}, "do_center_crop": true, "crop_size": {"height": 32, "width": 32}}
            """);
        var p = ModelLoader.Load(folder).Preprocessing;
        Assert.Equal("bicubic", p.Interpolation);
        Assert.Equal([0.485f, 0.456f, 0.406f], p.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], p.Std);
        Assert.Equal(ResizeMode.Crop, p.Resize);
        Assert.Equal(32.0 / 36.0, p.CropPct, 12);
    }
}
