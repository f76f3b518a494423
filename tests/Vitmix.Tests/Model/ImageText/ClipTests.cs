using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Model.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Tests.Model.ImageText;

/// <summary>
/// CLIP image encoders in the OpenAI/open_clip, Hugging Face and timm layouts against PyTorch (tests/reference/clip.py:
/// one set of tiny random weights written in the three layouts; the open_clip folder uses GELU as laion's configs do,
/// the other two QuickGELU as OpenAI's).
/// </summary>
public class ClipTests
{
    internal static string Folder(params string[] parts) =>
        Path.Combine([GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Model", "ImageText", "Clip", .. parts]);

    public static TheoryData<string, string> Layouts() => new() { { "openclip", "gelu" }, { "hf", "quickgelu" }, { "timm", "quickgelu" } };

    internal static ZeroShotClasses Classes() => ZeroShotClasses.Read(Folder("text.npy"), Folder("labels.txt"));

    internal static LoadedModel Load(string layout, bool withClasses = true) =>
        ModelLoader.Load(Folder(layout), withClasses ? new ModelOverrides { ZeroShot = Classes() } : null);

    static Tensor Input()
    {
        var a = Npy.Read(Folder("input.npy"));
        return new Tensor(a.ToFloat(), a.Shape);
    }

    static float[] Expected(string name) => Npy.Read(Folder(name + ".npy")).ToFloat();

    static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Max(Math.Abs(expected[i]), scale),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory, MemberData(nameof(Layouts))]
    public void ImageEmbeddingsAndZeroShotLogitsMatchPyTorch(string layout, string activation)
    {
        var encoder = Load(layout, withClasses: false);
        Assert.True(encoder.NeedsTextEmbeddings);
        AssertClose(Expected($"{activation}_embedding"), encoder.Network.Forward(Input()).Data, 1e-4, "embedding");

        var model = Load(layout);
        Assert.False(model.NeedsTextEmbeddings);
        Assert.Equal(["cat", "dog", "car", "tree", "house"], model.ClassNames!);
        Assert.Equal(activation == "gelu" ? MlpActivation.Gelu : MlpActivation.QuickGelu, model.Config.Activation);
        AssertClose(Expected($"{activation}_logits"), model.Network.Forward(Input()).Data, 1e-4, "logits");
    }

    [Theory, MemberData(nameof(Layouts))]
    public void AttentionAndInputGradientMatchPyTorch(string layout, string activation)
    {
        var model = Load(layout).Network;
        var pass = ExplanationPass.Compute(model, Input(), PassRequirements.Attention | PassRequirements.InputGradient, [4]);
        var attention = pass.Attention.SelectMany(a => a).ToArray();
        AssertClose(Expected($"{activation}_attention"), attention, 1e-4, "attention");
        AssertClose(Expected($"{activation}_input_gradient"), pass.InputGradient!, 1e-3, "input gradient");
    }

    [Fact]
    public void TheThreeLayoutsHoldTheSameImageTower()
    {
        var hf = Load("hf").Network.Weights.Named().ToDictionary(p => p.Name, p => p.Data);
        foreach (var layout in new[] { "openclip", "timm" })
            foreach (var (name, data) in Load(layout).Network.Weights.Named())
                Assert.True(hf[name].AsSpan().SequenceEqual(data), $"{layout}: {name} differs from the Hugging Face layout's");
    }

    [Fact]
    public void GradientsThroughTheZeroShotHeadMatchFiniteDifferences()
    {
        var model = Load("hf").Network;
        var input = Input();
        var rng = new Random(5);
        var coef = Enumerable.Range(0, model.Config.NumClasses).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var trace = model.Run(input, record: true);
        var grads = VitGradients.ZerosLike(model.Weights);
        var dInput = new BackwardPass(model, trace, grads).Run(coef);
        double Loss() => model.Forward(input).Data.Select((v, i) => (double)v * coef[i]).Sum();

        void Check(string what, float[] parameter, float[] analytic, int samples)
        {
            const float h = 2e-3f;
            double diff = 0, norm = 0;
            for (int s = 0; s < samples; s++)
            {
                int i = rng.Next(parameter.Length);
                float keep = parameter[i];
                parameter[i] = keep + h; double up = Loss();
                parameter[i] = keep - h; double down = Loss();
                parameter[i] = keep;
                double fd = (up - down) / (2 * h);
                diff += (fd - analytic[i]) * (fd - analytic[i]);
                norm += fd * fd;
            }
            Assert.True(Math.Sqrt(diff) / (Math.Sqrt(norm) + 1e-6) < 2e-2, $"{what}: relative error {Math.Sqrt(diff) / (Math.Sqrt(norm) + 1e-6):G3}");
        }
        Check("input", input.Data, dInput, 40);
        var named = grads.Named().ToDictionary(p => p.Name, p => p.Data);
        foreach (var name in new[] { "head.weight", "norm.weight", "norm_pre.weight", "norm_pre.bias", "blocks.1.mlp.fc1.weight", "blocks.0.attn.qkv.weight" })
            Check(name, model.Weights.Named().First(p => p.Name == name).Data, named[name], 12);
    }

    [Fact]
    public void TheZeroShotHeadConservesRelevanceUnderAnEpsilonRule()
    {
        var model = Load("openclip").Network;
        using var trace = model.Run(Input(), record: true);
        var pass = new RelevancePass(model, trace, AttnLrpComposite.Instance, keepAttentionRelevance: false);
        var start = new float[model.Config.NumClasses];
        start[1] = trace.Logits[1];
        var r = pass.Start(start);
        double before = r.Data.Sum(v => (double)v);
        var head = model.Layers[^1];
        Assert.IsType<ZeroShotHead>(head);
        r = pass.Step(head, r);
        // no bias: the ε-rule through the per-sample linear map W = exp(s)·T̂/‖x‖ keeps the total
        Assert.Equal(before, r.Data.Sum(v => (double)v), 3);
        Assert.Equal(model.Config.ImageEmbedDim, r.Data.Length);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void EveryExplainerGivesAFiniteMapOfThePatchGrid(string layout, string activation)
    {
        _ = activation;
        var model = Load(layout).Network;
        var c = model.Config;
        var maps = ExplainerSet.Parse("all").Explain(model, Input())[0].Maps;
        Assert.Contains("lrp", maps.Keys);
        foreach (var (name, map) in maps)
        {
            Assert.True(FiniteCheck.IndexOfNonFinite(map.Values) < 0, $"{name} is not finite");
            if (name.EndsWith(".pixels", StringComparison.Ordinal)) Assert.Equal((c.ImageHeight, c.ImageWidth), (map.Height, map.Width));
            else Assert.Equal((c.GridHeight, c.GridWidth), (map.Height, map.Width));
        }
    }

    [Fact]
    public void ALabelNameIsATarget()
    {
        var model = Load("timm");
        Assert.Equal(3, model.ResolveClass("tree"));
        Assert.Equal(1, model.ResolveClass("Dog"));
    }

    [Fact]
    public void ZeroShotModelsRunAtAnotherImageSize()
    {
        var model = ModelLoader.Load(Folder("hf"), new ModelOverrides { ImageSize = 48, ZeroShot = Classes() });
        Assert.Equal(48, model.Config.ImageHeight);
        Assert.Equal(5, model.Network.Forward(new Tensor(new float[3 * 48 * 48], 1, 3, 48, 48)).Data.Length);
        Assert.NotNull(model.ImageText);
    }
}

/// <summary>What goes wrong with text embeddings and CLIP checkpoints is said in one line naming the file and the problem.</summary>
public class ClipErrorTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"vitmix-clip-{Environment.ProcessId}-{Guid.NewGuid():N}", name);

    [Fact]
    public void AnEmbeddingWidthOtherThanTheModelsIsRefused()
    {
        string path = Temp("wide.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Npy.WriteFloat32(path, Enumerable.Range(1, 10).Select(i => (float)i).ToArray(), 2, 5);
        var classes = ZeroShotClasses.Read(path, "a,b");
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(ClipTests.Folder("hf"), new ModelOverrides { ZeroShot = classes }));
        Assert.Contains(path, e.Message);
        Assert.Contains("5 wide", e.Message);
        Assert.Contains("24", e.Message);
    }

    [Fact]
    public void ALabelCountOtherThanTheRowsIsRefused()
    {
        var e = Assert.Throws<InvalidDataException>(() => ZeroShotClasses.Read(ClipTests.Folder("text.npy"), "cat,dog"));
        Assert.StartsWith("--labels: 2 labels for the 5 rows", e.Message);
    }

    [Fact]
    public void IllShapedAndMissingFilesAreRefused()
    {
        string path = Temp("flat.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Npy.WriteFloat32(path, new float[24], 24);
        var e = Assert.Throws<InvalidDataException>(() => ZeroShotClasses.Read(path, null));
        Assert.Contains("shape (24), expected (classes, dim)", e.Message);

        string zeros = Temp("zeros.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(zeros)!);
        Npy.WriteFloat32(zeros, new float[48], 2, 24);
        Assert.Contains("row 0 is all zeros", Assert.Throws<InvalidDataException>(() => ZeroShotClasses.Read(zeros, "a,b")).Message);

        Assert.Throws<FileNotFoundException>(() => ZeroShotClasses.Read(Temp("none.npy"), null));
    }

    [Fact]
    public void ANonFiniteLogitScaleIsRefused()
    {
        string folder = Path.GetDirectoryName(Temp("x"))!;
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(ClipTests.Folder("hf"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        string weights = Path.Combine(folder, "model.safetensors");
        // overwrite logit_scale's four bytes with +inf
        using (var file = Vitmix.Model.Checkpoints.SafeTensorsFile.Open(weights))
        {
            var info = file["logit_scale"];
            long at = file.DataStart + info.Begin;
            file.Dispose();
            using var stream = File.OpenWrite(weights);
            stream.Position = at;
            stream.Write(BitConverter.GetBytes(float.PositiveInfinity));
        }
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(folder));
        Assert.Contains("logit_scale", e.Message);
        Assert.Contains(weights, e.Message);
    }

    /// <summary>The openclip fixture rewritten (F32, the same tensors) with <paramref name="edit"/> applied to its entries.</summary>
    static string Rewritten(Func<List<Vitmix.Model.Checkpoints.SafeTensorEntry>, List<Vitmix.Model.Checkpoints.SafeTensorEntry>> edit)
    {
        string folder = Path.GetDirectoryName(Temp("x"))!;
        Directory.CreateDirectory(folder);
        File.Copy(ClipTests.Folder("openclip", "open_clip_config.json"), Path.Combine(folder, "open_clip_config.json"));
        var entries = new List<Vitmix.Model.Checkpoints.SafeTensorEntry>();
        using (var file = Vitmix.Model.Checkpoints.SafeTensorsFile.Open(ClipTests.Folder("openclip", "open_clip_model.safetensors")))
            foreach (var t in file.Tensors)
                entries.Add(new(t.Name, t.Shape.Select(d => (int)d).ToArray(), file.ReadFloats(t.Name)));
        Vitmix.Model.Checkpoints.SafeTensorsWriter.Write(Path.Combine(folder, "open_clip_model.safetensors"), edit(entries));
        return folder;
    }

    [Fact]
    public void MissingAndUnexpectedImageTowerKeysAreListed()
    {
        var missing = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(Rewritten(e => e.Where(t => t.Name != "visual.ln_post.bias").ToList())));
        Assert.Contains("missing keys: visual.ln_post.bias", missing.Message);

        var extra = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(Rewritten(e => [.. e, new("visual.attnpool.weight", [2], [1f, 2f])])));
        Assert.Contains("unexpected keys: visual.attnpool.weight", extra.Message);

        var shape = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(Rewritten(e =>
            e.Select(t => t.Name == "visual.transformer.resblocks.1.attn.out_proj.bias" ? t with { Shape = [16], Data = t.Data[..16] } : t).ToList())));
        Assert.Contains("visual.transformer.resblocks.1.attn.out_proj.bias is [16], expected 32 values", shape.Message);

        // the text tower is not the image encoder's: its keys may be anything
        var model = ModelLoader.Load(Rewritten(e => [.. e, new("text_projection_extra", [2], [1f, 2f])]));
        Assert.NotNull(model.ImageText);
    }

    [Fact]
    public void TextEmbeddingsForAClassifierAreRefused()
    {
        var golden = GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");
        var e = Assert.Throws<ArgumentException>(() => ModelLoader.Load(golden, new ModelOverrides { ZeroShot = ClipTests.Classes() }));
        Assert.Contains("not an image-text model", e.Message);
    }
}
