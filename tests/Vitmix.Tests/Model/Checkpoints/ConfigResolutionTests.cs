using Vitmix.Data;
using System.Text;
using Vitmix.Model;
using Vitmix.Model.Checkpoints;
using static Vitmix.Tests.Model.Checkpoints.CheckpointTestFiles;

namespace Vitmix.Tests.Model.Checkpoints;

/// <summary>Each config source in turn: config.json (timm / HF), architecture table, metadata, shapes, overrides.</summary>
public class ConfigResolutionTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    const string Set = "vit32_p8_d48_l3_h3_c10";

    static float[] GoldenLogits(string image = "disk") =>
        ModelLoader.Load(GoldenCheckpointTests.Weights(Set)).Network.Forward(GoldenData.Input(Set, image)).Data;

    /// <summary>The golden weights without metadata and without a config.json beside them.</summary>
    string BareGoldenWeights()
    {
        string path = dir.File("bare.safetensors");
        WriteState(path, ReadF32(GoldenCheckpointTests.Weights(Set)));
        return path;
    }

    static VitConfig Small(Func<VitConfig, VitConfig>? change = null)
    {
        var c = new VitConfig { ImageHeight = 32, ImageWidth = 32, PatchSize = 8, EmbedDim = 24, Depth = 2, NumHeads = 2, MlpHidden = 96, NumClasses = 5 };
        return change == null ? c : change(c);
    }

    [Fact]
    public void MetadataConfigSuppliesHeadsWhenNoConfigJson()
    {
        string path = dir.File("meta.safetensors");
        File.Copy(GoldenCheckpointTests.Weights(Set), path);
        var model = ModelLoader.Load(path);
        Assert.Equal(3, model.Config.NumHeads);
        Assert.Contains("safetensors __metadata__ config (", model.ConfigSource);
        Assert.DoesNotContain("config.json", model.ConfigSource);
        Assert.Equal(GoldenLogits(), model.Network.Forward(GoldenData.Input(Set, "disk")).Data);
        // timm's default transform when nothing else says otherwise
        Assert.Equal(0.9, model.Preprocessing.CropPct);
        Assert.Equal("bicubic", model.Preprocessing.Interpolation);
    }

    [Fact]
    public void ShapesAloneLeaveHeadsUnknownWithAnErrorSayingHowToProvideThem()
    {
        string path = BareGoldenWeights();
        var e = Assert.Throws<SettingRequiredException>(() => ModelLoader.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("heads is unknown", e.Message);
        Assert.Equal("heads", e.Setting);
        Assert.DoesNotContain("--", e.Message); // the CLI adds its flag
        Assert.Contains("config.json", e.Message);
        Assert.Contains("__metadata__", e.Message);
    }

    [Fact]
    public void ShapesPlusHeadsOverrideReproduceTheGoldenModel()
    {
        var model = ModelLoader.Load(BareGoldenWeights(), new ModelOverrides { Heads = 3 });
        var c = model.Config;
        Assert.Equal((32, 32, 8, 48, 3, 3, 192, 10), (c.ImageHeight, c.ImageWidth, c.PatchSize, c.EmbedDim, c.Depth, c.NumHeads, c.MlpHidden, c.NumClasses));
        Assert.Contains("overrides (heads)", model.ConfigSource);
        Assert.Contains("tensor shapes (", model.ConfigSource);
        Assert.Equal(GoldenLogits("square_disk"), model.Network.Forward(GoldenData.Input(Set, "square_disk")).Data);
    }

    [Fact]
    public void OverridesApplyLastOverConfigJson()
    {
        var model = ModelLoader.Load(GoldenCheckpointTests.Weights(Set), new ModelOverrides
        {
            LayerNormEps = 1e-5f, Mean = [0.1f, 0.2f, 0.3f], Std = [0.4f, 0.5f, 0.6f], CropPct = 0.875, Interpolation = "bicubic", Resize = ResizeMode.Squash,
        });
        Assert.Equal(1e-5f, model.Config.LayerNormEps);
        Assert.Equal([0.1f, 0.2f, 0.3f], model.Preprocessing.Mean);
        Assert.Equal([0.4f, 0.5f, 0.6f], model.Preprocessing.Std);
        Assert.Equal(0.875, model.Preprocessing.CropPct);
        Assert.Equal("bicubic", model.Preprocessing.Interpolation);
        Assert.Equal(ResizeMode.Squash, model.Preprocessing.Resize);
        Assert.Equal(3, model.Config.NumHeads);
    }

    [Fact]
    public void WrongHeadsOverrideWinsAndIsCheckedAgainstTheWidth()
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(GoldenCheckpointTests.Weights(Set), new ModelOverrides { Heads = 5 }));
        Assert.Contains("5 heads do not divide embed dim 48", e.Message);
        Assert.Throws<ArgumentException>(() => ModelLoader.Load(GoldenCheckpointTests.Weights(Set), new ModelOverrides { Heads = 0 }));
        Assert.Throws<ArgumentException>(() => ModelLoader.Load(GoldenCheckpointTests.Weights(Set), new ModelOverrides { Interpolation = "cubic-spline" }));
    }

    [Fact]
    public void ArchitectureNameInConfigJsonSuppliesTheArchitectureAndItsPreprocessing()
    {
        // a real DeiT-tiny shape (192 wide, 12 blocks, 3 heads) with a 7-class head
        var c = new VitConfig { EmbedDim = 192, Depth = 12, NumHeads = 3, MlpHidden = 768, NumClasses = 7 };
        string folder = Directory.CreateDirectory(dir.File("deit")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), RandomState(c, 3));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"architecture": "deit_tiny_patch16_224", "num_classes": 7}""");
        var model = ModelLoader.Load(folder);
        Assert.Equal(c, model.Config);
        Assert.Contains("architecture deit_tiny_patch16_224 (", model.ConfigSource);
        Assert.Equal([0.485f, 0.456f, 0.406f], model.Preprocessing.Mean);
        Assert.Equal(0.9, model.Preprocessing.CropPct);
        Assert.Equal("bicubic", model.Preprocessing.Interpolation);
    }

    [Fact]
    public void ArchitectureNameInTheFileNameIsUsedWithoutConfig()
    {
        var c = new VitConfig { EmbedDim = 192, Depth = 12, NumHeads = 3, MlpHidden = 768, NumClasses = 4 };
        string path = dir.File("vit_tiny_patch16_224.augreg_in21k_ft_in1k.safetensors");
        WriteState(path, RandomState(c, 4));
        var model = ModelLoader.Load(path);
        Assert.Equal(c, model.Config);
        Assert.Contains("from the file name", model.ConfigSource);
        Assert.Equal([0.5f, 0.5f, 0.5f], model.Preprocessing.Mean);
    }

    [Fact]
    public void ArchitectureThatDisagreesWithTheWeightsIsAnError()
    {
        string folder = Directory.CreateDirectory(dir.File("wrong")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), RandomState(Small(), 5));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"architecture": "vit_base_patch16_224", "num_classes": 5}""");
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.Contains("shape mismatches", e.Message);
        Assert.Contains("architecture vit_base_patch16_224", e.Message);
    }

    [Fact]
    public void TimmLabelNamesListAndDictionaryAreBothRead()
    {
        string folder = Directory.CreateDirectory(dir.File("labels")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), RandomState(Small(), 6));
        string Cfg(string labels) => $$$"""
            {"architecture": "custom_vit", "num_classes": 5, "model_args": {"num_heads": 2, "img_size": 32, "patch_size": 8},
             "label_names": {{{labels}}}, "pretrained_cfg": {"mean": [0.1, 0.1, 0.1], "std": [0.2, 0.2, 0.2], "crop_pct": 0.95, "interpolation": "nearest", "crop_mode": "squash"}}
            """;
        File.WriteAllText(Path.Combine(folder, "config.json"), Cfg("""["a", "b", "c", "d", "e"]"""));
        var m1 = ModelLoader.Load(folder);
        Assert.Equal(["a", "b", "c", "d", "e"], m1.ClassNames!);
        Assert.Equal("nearest", m1.Preprocessing.Interpolation);
        Assert.Equal(ResizeMode.Squash, m1.Preprocessing.Resize);
        Assert.Equal(0.95, m1.Preprocessing.CropPct);
        Assert.Equal([0.2f, 0.2f, 0.2f], m1.Preprocessing.Std);
        Assert.Equal("c", m1.ClassName(2));

        File.WriteAllText(Path.Combine(folder, "config.json"), Cfg("""{"4": "E", "0": "A", "1": "B", "2": "C", "3": "D"}"""));
        Assert.Equal(["A", "B", "C", "D", "E"], ModelLoader.Load(folder).ClassNames!);

        File.WriteAllText(Path.Combine(folder, "config.json"), Cfg("""["a", "b"]"""));
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.Contains("2 classes but the model has 5", e.Message);
    }

    [Fact]
    public void UnknownArchitectureWithoutHeadsNamesTheArchitecture()
    {
        string folder = Directory.CreateDirectory(dir.File("unknown")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), RandomState(Small(), 7));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"architecture": "vit_medium_patch16_gap_256", "num_classes": 5}""");
        var e = Assert.Throws<SettingRequiredException>(() => ModelLoader.Load(folder));
        Assert.Contains("'vit_medium_patch16_gap_256'", e.Message);
        Assert.Equal("heads", e.Setting);
    }

    [Fact]
    public void ConfigJsonOfNoKnownStyleIsAnError()
    {
        string folder = Directory.CreateDirectory(dir.File("odd")).FullName;
        WriteState(Path.Combine(folder, "model.safetensors"), RandomState(Small(), 8));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"hello": 1}""");
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.StartsWith(Path.Combine(folder, "config.json") + ": ", e.Message);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"architecture": "x", "model_args": {"num_heads": "two"}}""");
        e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.Contains("\"num_heads\" is \"two\", expected an integer", e.Message);
    }

    public static TheoryData<string> Variants => new() { "distilled", "layerscale", "registers", "avgpool", "gap", "no_embed_class" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void VariantsAreRecognisedFromKeysAndShapes(string variant)
    {
        var c = Small(v => variant switch
        {
            "distilled" => v with { Distilled = true },
            "layerscale" => v with { LayerScale = true },
            "registers" => v with { RegisterTokens = 4 },
            "avgpool" => v with { Pool = GlobalPool.Average, FcNorm = true },
            "gap" => v with { ClassToken = false, Pool = GlobalPool.Average },
            "no_embed_class" => v with { NoEmbedClass = true, LayerScale = true },
            _ => throw new ArgumentException(variant),
        });
        string path = dir.File(variant + ".safetensors");
        WriteState(path, RandomState(c, 9));
        var model = ModelLoader.Load(path, new ModelOverrides { Heads = 2 });
        Assert.Equal(c, model.Config);
        var logits = model.Network.Forward(new Vitmix.Engine.Tensor(1, 3, 32, 32)).Data;
        Assert.Equal(5, logits.Length);
    }

    [Theory]
    [InlineData("norm_pre.weight", "norm_pre")]
    [InlineData("blocks.0.attn.q_norm.weight", "qk_norm")]
    [InlineData("attn_pool.latent", "global_pool='map'")]
    // EVA-02 in BAAI's own layout (timm's checkpoint_filter_fn renames these; timm's names load, FamilyTests)
    [InlineData("blocks.0.mlp.w12.weight", "SwiGLU")]
    [InlineData("blocks.0.mlp.ffn_ln.weight", "sub-LN")]
    public void UnsupportedVariantsAreNamed(string extraKey, string named)
    {
        var state = RandomState(Small(), 10);
        state[extraKey] = ([24], new float[24]);
        string path = dir.File("unsupported.safetensors");
        WriteState(path, state);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path, new ModelOverrides { Heads = 2 }));
        Assert.StartsWith(path + ": unsupported ViT variant", e.Message);
        Assert.Contains(named, e.Message);
        Assert.Contains(extraKey, e.Message);
    }

    [Fact]
    public void ACheckpointWithoutAClassifierLoadsAsAFeatureModel()
    {
        // timm num_classes=0 (DINOv2, MAE backbones): the outputs are the class token's features, through an identity head
        var state = RandomState(Small(), 12);
        state.Remove("head.weight");
        state.Remove("head.bias");
        string path = dir.File("features.safetensors");
        WriteState(path, state);
        var model = ModelLoader.Load(path, new ModelOverrides { Heads = 2 });
        Assert.True(model.Config.FeatureHead);
        Assert.Equal(model.Config.EmbedDim, model.Config.NumClasses);
        var x = new Vitmix.Engine.Tensor(1, 3, 32, 32);
        var features = model.Network.Forward(x).Data;
        Assert.Equal(model.Config.EmbedDim, features.Length);
        Assert.Contains("no classifier", model.Family);
    }

    [Fact]
    public void MissingKeysAndWrongShapesAreListedInOneError()
    {
        var state = RandomState(Small(), 11);
        state.Remove("blocks.1.norm2.bias");
        state["blocks.0.attn.proj.weight"] = ([24, 23], new float[24 * 23]);
        string path = dir.File("broken.safetensors");
        WriteState(path, state);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path, new ModelOverrides { Heads = 2 }));
        Assert.StartsWith(path + ": timm checkpoint does not fit", e.Message);
        Assert.Contains("missing keys: blocks.1.norm2.bias", e.Message);
        Assert.Contains("blocks.0.attn.proj.weight is [24, 23], expected [24, 24]", e.Message);
    }

    [Fact]
    public void IntegerTensorAsAWeightIsAnErrorNamingKeyAndDtype()
    {
        string path = dir.File("int.safetensors");
        WriteState(path, RandomState(Small(), 12));
        // head.bias F32[5] → I32[5]: same byte length, so the file stays valid
        var bytes = File.ReadAllBytes(path);
        string text = Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("\"head.bias\":{\"dtype\":\"F32\"", StringComparison.Ordinal);
        Assert.True(at > 0);
        bytes[at + "\"head.bias\":{\"dtype\":\"".Length] = (byte)'I';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path, new ModelOverrides { Heads = 2 }));
        Assert.Contains("head.bias is I32", e.Message);
    }

    [Fact]
    public void WriteModelRoundTripsWithoutAnyConfig()
    {
        var golden = ModelLoader.Load(GoldenCheckpointTests.Weights(Set));
        string path = dir.File("saved.safetensors");
        SafeTensorsWriter.WriteModel(path, golden.Network);
        var model = ModelLoader.Load(path);
        Assert.Equal(golden.Config, model.Config);
        Assert.Equal(GoldenLogits(), model.Network.Forward(GoldenData.Input(Set, "disk")).Data);

        // a non-square, distilled, LayerScale, register model with a non-default eps: everything travels in the metadata
        var variant = Small(v => v with { Distilled = true, LayerScale = true, RegisterTokens = 2, LayerNormEps = 1e-5f, ImageWidth = 40 });
        var state = RandomState(variant, 13).ToDictionary(kv => kv.Key, kv => new Vitmix.Engine.Tensor(kv.Value.Data, kv.Value.Shape));
        var net = new VisionTransformer(variant, VitWeights.FromStateDict(variant, state, "random"));
        string p2 = dir.File("variant.safetensors");
        SafeTensorsWriter.WriteModel(p2, net);
        var loaded = ModelLoader.Load(p2);
        Assert.Equal(variant, loaded.Config);
        var input = new Vitmix.Engine.Tensor(1, 3, 32, 40);
        for (int i = 0; i < input.Length; i++) input.Data[i] = MathF.Sin(i);
        Assert.Equal(net.Forward(input).Data, loaded.Network.Forward(input).Data);
    }

    [Fact]
    public void FolderWithoutModelSafetensorsIsAnError()
    {
        string folder = Directory.CreateDirectory(dir.File("empty")).FullName;
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.StartsWith(folder + ": ", e.Message);
        var missing = dir.File("nothing-here");
        Assert.StartsWith(missing + ": ", Assert.Throws<InvalidDataException>(() => ModelLoader.Load(missing)).Message);
    }
}

public class NonViTAndHalfPrecisionCheckpointTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    [Fact]
    public void AFileWithoutAPatchEmbeddingIsNotTakenForAViT()
    {
        string path = dir.File("resnet.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorEntry("module.conv1.weight", [2, 3, 1, 1], new float[6]), new SafeTensorEntry("module.fc.weight", [2, 2], new float[4])]);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(path, new ModelOverrides { Heads = 1 }));
        Assert.StartsWith(path + ": no ViT patch embedding found", e.Message);
        Assert.Contains("'module.conv1.weight'", e.Message);
    }

    [Fact]
    public void Bf16CheckpointLoadsAsTheTruncatedFloat32Weights()
    {
        // golden timm weights stored as BF16 (upper 16 bits), header written by hand
        string set = GoldenData.Sets[0];
        var timm = CheckpointTestFiles.ReadF32(GoldenCheckpointTests.Weights(set));
        var header = new StringBuilder("{\"__metadata__\":{\"config\":\"{\\\"num_heads\\\": 3}\"}");
        var data = new List<byte>();
        foreach (var (name, (shape, values)) in timm)
        {
            header.Append($",\"{name}\":{{\"dtype\":\"BF16\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{data.Count},{data.Count + 2 * values.Length}]}}");
            foreach (var v in values)
            {
                ushort top = (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
                data.Add((byte)top);
                data.Add((byte)(top >> 8));
            }
        }
        header.Append('}');
        string path = CheckpointTestFiles.Raw(dir.File("bf16.safetensors"), header.ToString(), data.ToArray());
        var model = ModelLoader.Load(path);
        Assert.Equal(3, model.Config.NumHeads);
        var expected = timm["blocks.2.attn.qkv.weight"].Data.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000u));
        Assert.Equal(expected, model.Network.Weights.Blocks[2].QkvWeight);
        var logits = model.Network.Forward(GoldenData.Input(set, "disk")).Data;
        var want = GoldenData.Array(set, "disk", "logits");
        // bf16 keeps 8 mantissa bits: the logits move, but stay close to the float32 ones
        Assert.True(logits.Zip(want, (a, b) => Math.Abs(a - b)).Max() < 0.1f);
    }
}
