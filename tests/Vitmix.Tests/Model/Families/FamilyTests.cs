using System.Text.Json;
using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Model.Families;

/// <summary>
/// The ViT families in their real layouts (DINOv2 and DINOv2 with registers in timm and Hugging Face layouts, DeiT III,
/// MAE's encoder as timm ships it, BEiT, EVA-02, average pooling with fc_norm), on tiny random checkpoints with the real
/// repositories' key names and config fields, against the outputs tests/reference/families.py computes in PyTorch from
/// the libraries' sources (the script says which file and commit each forward follows; EVA-02's is
/// tests/reference/eva02.py).
/// </summary>
public class FamilyTests
{
    /// <summary>What info must say, the input size, the registers and the readout weight of the class token.</summary>
    sealed record Case(string Family, int Size, int Registers, float ClassWeight);

    static readonly Dictionary<string, Case> Cases = new()
    {
        ["timm-dinov2"] = new("DINOv2, no classifier (outputs are features) (timm layout)", 56, 0, 1f),
        ["timm-dinov2-reg4"] = new("DINOv2 with 4 registers, no classifier (outputs are features) (timm layout)", 56, 4, 1f),
        ["hf-dinov2"] = new("DINOv2, class token + patch-mean readout (Hugging Face layout)", 56, 0, 0.5f),
        ["hf-dinov2-reg4"] = new("DINOv2 with 4 registers, class token + patch-mean readout (Hugging Face layout)", 56, 4, 0.5f),
        ["timm-deit3"] = new("DeiT III (timm layout)", 64, 0, 1f),
        ["timm-mae"] = new("MAE, no classifier (outputs are features) (timm layout)", 64, 0, 1f),
        ["timm-beit"] = new("BEiT, patch-mean readout, relative position bias (timm layout)", 64, 0, 0f),
        ["hf-beit"] = new("BEiT, patch-mean readout, relative position bias (Hugging Face layout)", 64, 0, 0f),
        ["hf-data2vec"] = new("data2vec-vision, patch-mean readout, shared relative position bias (Hugging Face layout)", 64, 0, 0f),
        ["timm-avg-fcnorm"] = new("ViT, patch-mean readout (timm layout)", 64, 0, 0f),
        ["timm-eva02"] = new("EVA-02, patch-mean readout, rotary position embedding, SwiGLU MLP (timm layout)", 56, 0, 0f),
        ["timm-eva02-mim"] = new("EVA-02, patch-mean readout, rotary position embedding, SwiGLU MLP with sub-LayerNorm, no classifier (outputs are features) (timm layout)", 56, 0, 0f),
    };

    public static TheoryData<string> Families() => new(Cases.Keys);

    static string Folder(string name) => Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Model", "Families", name);

    static NpyArray Expected(string name, string file) => Npy.Read(Path.Combine(Folder(name), "expected", file + ".npy"));

    static Tensor Input(string name)
    {
        var x = Expected(name, "input");
        return new Tensor(x.ToFloat(), x.Shape);
    }


    [Theory, MemberData(nameof(Families))]
    public void LogitsMatchThePyTorchReference(string name)
    {
        var model = ModelLoader.Load(Folder(name));
        var c = model.Config;
        Assert.Equal(Cases[name].Size, c.ImageHeight);   // the Hugging Face ones are stored for 70 and run at their processor's 56
        Assert.Equal(Cases[name].Registers, c.RegisterTokens);
        var expected = Expected(name, "logits").ToFloat();
        var logits = model.Network.Forward(Input(name)).Data;
        Assert.Equal(expected.Length, logits.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 2e-5,
                $"{name} logit {i}: {logits[i]} vs PyTorch's {expected[i]}");
    }

    [Theory, MemberData(nameof(Families))]
    public void AttentionAndInputGradientMatchThePyTorchReference(string name)
    {
        var model = ModelLoader.Load(Folder(name)).Network;
        using var pass = ExplanationPass.Compute(model, Input(name), PassRequirements.Attention | PassRequirements.InputGradient);
        for (int l = 0; l < model.Config.Depth; l++)
        {
            var a = Expected(name, $"attn_{l}").ToFloat();
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(pass.Attention[l][i] - a[i]) <= 2e-5, $"{name} block {l} attention {i}: {pass.Attention[l][i]} vs {a[i]}");
        }
        var g = Expected(name, "grad").ToFloat();
        float scale = g.Max(Math.Abs);
        for (int i = 0; i < g.Length; i++)
            Assert.True(Math.Abs(pass.InputGradient![i] - g[i]) <= 1e-3 * scale, $"{name} input gradient {i}: {pass.InputGradient![i]} vs {g[i]}");
    }

    [Theory, MemberData(nameof(Families))]
    public void TheInputGradientAgreesWithFiniteDifferences(string name)
    {
        var model = ModelLoader.Load(Folder(name)).Network;
        var x = Input(name);
        int k = model.Config.NumClasses;
        using var pass = ExplanationPass.Compute(model, x, PassRequirements.InputGradient);
        int[] targets = pass.Targets;
        double Score()
        {
            var logits = model.Forward(x).Data;
            return logits[targets[0]] + logits[k + targets[1]];
        }
        var rng = new Random(5);
        const float h = 1e-2f;
        double diff = 0, norm = 0;
        for (int s = 0; s < 24; s++)
        {
            int i = rng.Next(x.Data.Length);
            float keep = x.Data[i];
            x.Data[i] = keep + h; double up = Score();
            x.Data[i] = keep - h; double down = Score();
            x.Data[i] = keep;
            double fd = (up - down) / (2 * h), analytic = pass.InputGradient![i];
            diff += (fd - analytic) * (fd - analytic);
            norm += fd * fd;
        }
        Assert.True(Math.Sqrt(diff / (norm + 1e-12)) < 2e-2, $"{name}: relative error {Math.Sqrt(diff / (norm + 1e-12)):G3}");
    }

    [Theory, MemberData(nameof(Families))]
    public void EveryExplainerGivesAFiniteMapOfThePatchGrid(string name)
    {
        var model = ModelLoader.Load(Folder(name)).Network;
        var c = model.Config;
        var set = ExplainerSet.Parse("all", new ExplainerOptions().Set("tam-steps", 2).Set("ig-steps", 2));
        var explanations = set.Explain(model, Input(name));
        Assert.Equal(2, explanations.Count);
        foreach (var e in explanations)
        {
            Assert.NotEmpty(e.Maps);
            foreach (var (method, map) in e.Maps)
            {
                bool pixels = method.EndsWith(".pixels", StringComparison.Ordinal);
                // registers and the class token never appear: a grid map has exactly the 4x4 patches
                Assert.Equal(pixels ? (c.ImageHeight, c.ImageWidth) : (c.GridHeight, c.GridWidth), (map.Height, map.Width));
                Assert.True(map.Values.All(float.IsFinite), $"{name}: {method} is not finite");
            }
        }
    }

    [Theory, MemberData(nameof(Families))]
    public void TheReadoutWeightsAreTheClassTokenOrItAndThePatchMean(string name)
    {
        var model = ModelLoader.Load(Folder(name)).Network;
        var c = model.Config;
        using var pass = ExplanationPass.Compute(model, Input(name), PassRequirements.Attention);
        var w = pass.ReadoutWeightsOf(1);
        float cls = Cases[name].ClassWeight;
        Assert.Equal(cls, w[0]);
        for (int r = 1; r < c.NumPrefixTokens; r++) Assert.Equal(0f, w[r]);   // registers
        for (int p = 0; p < c.NumPatches; p++) Assert.Equal((1 - cls) / c.NumPatches, w[c.NumPrefixTokens + p], 6);
        Assert.Equal(1f, w.ToArray().Sum(), 5);
    }

    [Fact]
    public void TheClassAndPatchMeanReadoutConservesRelevance()
    {
        // LRP through the readout (Chefer's ratio rule): the class half goes to row 0, the mean half to the patches,
        // and together they hold exactly the relevance given to the classifier's input.
        var model = ModelLoader.Load(Folder("hf-dinov2-reg4")).Network;
        using var trace = model.Run(Input("hf-dinov2-reg4"), record: true);
        var pass = new Vitmix.Model.Relevance.RelevancePass(model, trace);
        var oneHot = new float[2 * model.Config.NumClasses];
        oneHot[1] = oneHot[model.Config.NumClasses + 3] = 1f;
        var r = pass.Start(oneHot);
        var readout = model.Layers.OfType<Readout>().Single();
        for (int i = model.Layers.Count - 1; i >= 0; i--)
        {
            var before = r.Data.AsSpan(0, (int)Tensor.ElementCount(r.Shape)).ToArray().Sum(v => (double)v);
            r = pass.Step(model.Layers[i], r);
            if (ReferenceEquals(model.Layers[i], readout))
            {
                double after = r.Data.AsSpan(0, (int)Tensor.ElementCount(r.Shape)).ToArray().Sum(v => (double)v);
                Assert.Equal(before, after, 4);
                int d = model.Config.EmbedDim;
                for (int reg = 1; reg <= 4; reg++)
                    Assert.All(r.Data.AsSpan(reg * d, d).ToArray(), v => Assert.Equal(0f, v));   // registers get none
                return;
            }
        }
        Assert.Fail("no readout layer");
    }

    [Theory, MemberData(nameof(Families))]
    public void KeptPatchesOfDifferentCountsGiveEachSubsetsOwnLogits(string name)
    {
        // token deletion and TIS run subsets of different lengths together: packed (class + patch mean, registers),
        // or one batch per length (BEiT's relative position bias needs each token's place)
        var model = ModelLoader.Load(Folder(name)).Network;
        var x = Input(name);
        var one = new Tensor(x.Data.AsSpan(0, (int)(x.Length / 2)).ToArray(), 1, x.Dim(1), x.Dim(2), x.Dim(3));
        int[][] lists = [[0, 3, 5], [1, 2, 4, 7, 9, 15], [6]];
        var together = model.ForwardTokens(one, lists).Data;
        int k = model.Config.NumClasses;
        for (int s = 0; s < lists.Length; s++)
        {
            var alone = model.ForwardTokens(one, [lists[s]]).Data;
            for (int j = 0; j < k; j++)
                Assert.True(Math.Abs(together[s * k + j] - alone[j]) <= 1e-5f * (1 + Math.Abs(alone[j])), $"{name} subset {s} logit {j}: {together[s * k + j]} vs {alone[j]}");
        }
        // The first block's q, k, v gathered from the whole sequence's (as the token curves and TIS run) are the subsets' own.
        var shared = model.EmbedForSubsets(one);
        Assert.NotNull(shared.FirstQkv);
        var gathered = model.ForwardEmbedded(shared, lists).Data;
        for (int i = 0; i < together.Length; i++)
            Assert.True(Math.Abs(gathered[i] - together[i]) <= 1e-5f * (1 + Math.Abs(together[i])), $"{name} logit {i}: gathered q, k, v {gathered[i]} vs projected {together[i]}");
    }

    [Theory, MemberData(nameof(Families))]
    public void TheLogitsOnlyForwardIsThePassOfEveryToken(string name)
    {
        // Forward runs the last block for the class (and distillation) token alone after its attention when the readout
        // reads only those; a pass that records nothing but computes every token must give the same logits
        var model = ModelLoader.Load(Folder(name)).Network;
        var x = Input(name);
        var forward = model.Forward(x).Data;
        using var trace = model.Run(x, record: false);
        for (int i = 0; i < forward.Length; i++)
            Assert.True(Math.Abs(forward[i] - trace.Logits[i]) <= 1e-5f * (1 + Math.Abs(trace.Logits[i])), $"{name} logit {i}: {forward[i]} vs {trace.Logits[i]}");
    }

    [Theory, MemberData(nameof(Families))]
    public void InfoNamesTheFamily(string name)
    {
        var r = CliRunner.Run("info", "--model", Folder(name));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains(Cases[name].Family, r.Out.ReplaceLineEndings(" "));
    }

    [Theory, MemberData(nameof(Families))]
    public void PredictAndExplainAllRunOnTheCheckpoint(string name)
    {
        using var tmp = new TempDir();
        var x = Expected(name, "input");
        int size = Cases[name].Size, plane = 3 * size * size;
        string input = tmp.Combine("sample.npy");
        Npy.WriteFloat32(input, x.ToFloat().AsSpan(0, plane), 1, 3, size, size);

        var predict = CliRunner.Run("predict", input, "--model", Folder(name), "--json");
        Assert.True(predict.ExitCode == 0, predict.Err);
        using var json = JsonDocument.Parse(predict.OutLines.Single());
        var logits = json.RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = Expected(name, "logits").ToFloat();
        for (int i = 0; i < logits.Length; i++) Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 2e-5);

        string out_ = tmp.Combine("maps");
        var explain = CliRunner.Run("explain", input, "--model", Folder(name), "--methods", "all", "--raw", "--out", out_,
            "--tam-steps", "2", "--ig-steps", "2");
        Assert.True(explain.ExitCode == 0, explain.Err);
        var maps = Directory.GetFiles(Path.Combine(out_, "sample"), "*.npy");
        Assert.NotEmpty(maps);
        foreach (var file in maps)
        {
            var m = Npy.Read(file);
            Assert.True(m.Values.All(double.IsFinite), file);
            // a method's grid map is METHOD.npy; pixel maps and masks are METHOD.pixels.npy, METHOD.mask.npy
            if (!Path.GetFileNameWithoutExtension(file).Contains('.')) Assert.True(m.Shape[^2..].SequenceEqual([4, 4]), $"{file}: [{string.Join(", ", m.Shape)}]");
        }
    }
}

/// <summary>SigLIP's attention pool as a readout: its readout token weights are the probe's head-averaged attention.</summary>
public class AttentionPoolReadoutTests
{
    [Fact]
    public void TheReadoutWeightsAreTheProbesAttention()
    {
        var model = ModelLoader.Load(Vitmix.Tests.Model.ImageText.SiglipTests.Folder("timm")).Network;
        var c = model.Config;
        var x = TinyModels.RandomInput(c, 2, 5);
        using var pass = ExplanationPass.Compute(model, x, PassRequirements.Attention);
        using var trace = model.Run(x, record: true);
        var pool = model.Layers.OfType<AttentionPool>().Single();
        var probe = pool.ReadoutWeights(trace.Context).Data;
        for (int s = 0; s < 2; s++)
        {
            var w = pass.ReadoutWeightsOf(s);
            Assert.Equal(1f, w.ToArray().Sum(), 4);
            for (int t = 0; t < c.NumTokens; t++) Assert.Equal(probe[s * c.NumTokens + t], w[t], 6);
        }
        // the attention-based maps read that row
        var maps = ExplainerSet.Parse("rollout,gradcam,lrp,gae").Explain(model, x);
        Assert.All(maps, e => Assert.All(e.Maps.Values, m => Assert.True(m.Values.All(float.IsFinite))));
    }
}
