using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Model.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Tests.Model.ImageText;

/// <summary>
/// SigLIP image encoders (no class token, attention-pool readout, GELU tanh, sigmoid zero-shot head) in the Hugging
/// Face and timm layouts against PyTorch (tests/reference/siglip.py: one set of tiny random weights in both layouts).
/// </summary>
public class SiglipTests
{
    internal static string Folder(params string[] parts) =>
        Path.Combine([GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Model", "ImageText", "Siglip", .. parts]);

    /// <summary>The timm tower holds no logit_scale or logit_bias: its rows come in a .safetensors that has them.</summary>
    public static TheoryData<string, string> Layouts() => new() { { "hf", "text.npy" }, { "timm", "text.safetensors" } };

    internal static LoadedModel Load(string layout, string text) =>
        ModelLoader.Load(Folder(layout), new ModelOverrides { ZeroShot = ZeroShotClasses.Read(Folder(text), Folder("labels.txt")) });

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
    public void EmbeddingsLogitsAndSigmoidScoresMatchPyTorch(string layout, string text)
    {
        var encoder = ModelLoader.Load(Folder(layout));
        Assert.True(encoder.NeedsTextEmbeddings);
        Assert.Equal(GlobalPool.Map, encoder.Config.Pool);
        Assert.Equal(0, encoder.Config.NumPrefixTokens);
        Assert.Equal(MlpActivation.GeluTanh, encoder.Config.Activation);
        AssertClose(Expected("embedding"), encoder.Network.Forward(Input()).Data, 1e-4, "embedding");

        var model = Load(layout, text);
        Assert.Equal(ZeroShotScores.Sigmoid, model.Config.ZeroShot);
        var logits = model.Network.Forward(Input()).Data;
        AssertClose(Expected("logits"), logits, 1e-4, "logits");
        var p = Probabilities.Of(model.Config, logits);
        Assert.Equal(1 / (1 + Math.Exp(-logits[4])), p[4], 5);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void AttentionProbeWeightsAndInputGradientMatchPyTorch(string layout, string text)
    {
        var model = Load(layout, text).Network;
        var pass = ExplanationPass.Compute(model, Input(), PassRequirements.Attention | PassRequirements.InputGradient, [0]);
        AssertClose(Expected("attention"), pass.Attention.SelectMany(a => a).ToArray(), 1e-4, "attention");
        AssertClose(Expected("input_gradient"), pass.InputGradient!, 1e-3, "input gradient");

        using var trace = model.Run(Input(), record: true);
        var pool = model.Layers.OfType<AttentionPool>().Single();
        var weights = pool.ReadoutWeights(trace.Context);
        Assert.Equal([1, model.Config.NumTokens], weights.Shape);
        AssertClose(Expected("pool_attention"), weights.Data, 1e-4, "probe attention");
        Assert.Equal(1.0, weights.Data.Sum(v => (double)v), 5);
    }

    [Fact]
    public void GradientsThroughTheAttentionPoolMatchFiniteDifferences()
    {
        var model = Load("hf", "text.npy").Network;
        var input = Input();
        // small inputs keep the saturated logits of the random tower in their linear range
        var rng = new Random(9);
        var coef = Enumerable.Range(0, model.Config.NumClasses).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var trace = model.Run(input, record: true);
        var grads = VitGradients.ZerosLike(model.Weights);
        var dInput = new BackwardPass(model, trace, grads).Run(coef);
        double Loss() => model.Forward(input).Data.Select((v, i) => (double)v * coef[i]).Sum();

        void Check(string what, float[] parameter, float[] analytic, int samples)
        {
            const float h = 1e-3f;
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
            Assert.True(Math.Sqrt(diff) / (Math.Sqrt(norm) + 1e-6) < 3e-2, $"{what}: relative error {Math.Sqrt(diff) / (Math.Sqrt(norm) + 1e-6):G3}");
        }
        Check("input", input.Data, dInput, 40);
        var named = grads.Named().ToDictionary(p => p.Name, p => p.Data);
        foreach (var (name, data) in model.Weights.Named().Where(p => p.Name.StartsWith("attn_pool.", StringComparison.Ordinal) || p.Name == "blocks.1.mlp.fc1.weight"))
            Check(name, data, named[name], Math.Min(12, data.Length));
    }

    [Fact]
    public void TheAttentionPoolConservesRelevanceWithoutBiases()
    {
        var model = ModelLoader.Load(Folder("hf")).Network;
        // with every bias of the pool at zero, the ε-rules and the value rule lose nothing
        var w = model.Weights.AttnPool!;
        foreach (var bias in new[] { w.QBias, w.KvBias, w.ProjBias, w.NormBias, w.Fc1Bias, w.Fc2Bias }) Array.Clear(bias);
        using var trace = model.Run(Input(), record: true);
        var pass = new RelevancePass(model, trace, AttnLrpComposite.Instance, keepAttentionRelevance: false);
        var start = trace.Logits.ToArray();
        var r = pass.Start(start);
        int pool = model.Layers.ToList().FindIndex(l => l is AttentionPool);
        for (int i = model.Layers.Count - 1; i > pool; i--) r = pass.Step(model.Layers[i], r);
        double before = r.Data.Sum(v => (double)v);
        r = pass.Step(model.Layers[pool], r);
        Assert.Equal([1, model.Config.NumTokens, model.Config.EmbedDim], r.Shape);
        Assert.True(FiniteCheck.IndexOfNonFinite(r.Data) < 0);
        Assert.True(Math.Abs(r.Data.Sum(v => (double)v) - before) <= 1e-3 * Math.Abs(before), $"{before} in, {r.Data.Sum(v => (double)v)} out");
    }

    [Theory, MemberData(nameof(Layouts))]
    public void EveryExplainerGivesAFiniteMapOfThePatchGrid(string layout, string text)
    {
        var model = Load(layout, text).Network;
        var c = model.Config;
        var maps = ExplainerSet.Parse("all").Explain(model, Input())[0].Maps;
        Assert.Contains("rollout", maps.Keys);
        foreach (var (name, map) in maps)
        {
            Assert.True(FiniteCheck.IndexOfNonFinite(map.Values) < 0, $"{name} is not finite");
            if (name.EndsWith(".pixels", StringComparison.Ordinal)) Assert.Equal((c.ImageHeight, c.ImageWidth), (map.Height, map.Width));
            else Assert.Equal((c.GridHeight, c.GridWidth), (map.Height, map.Width));
        }
    }

    [Fact]
    public void PackedSequencesOfDifferentLengthsPoolEachOnItsOwn()
    {
        foreach (var model in new[] { Load("hf", "text.npy").Network, ClipTests.Load("openclip").Network })
        {
            var embedded = model.EmbedTokens(Input());
            int[][] lists = [[0, 3, 5], [1, 2, 4, 6, 7, 9, 15], [8]];
            var packed = model.ForwardEmbedded(embedded, lists).Data;
            int k = model.Config.NumClasses;
            for (int i = 0; i < lists.Length; i++)
            {
                var alone = model.ForwardEmbedded(embedded, [lists[i]]).Data;
                for (int c = 0; c < k; c++) Assert.Equal(alone[c], packed[i * k + c], 3);
            }
        }
    }

    [Fact]
    public void ATimmTowerWithoutScaleAndBiasSaysWhereToGiveThem()
    {
        var e = Assert.Throws<InvalidDataException>(() => Load("timm", "text.npy"));
        Assert.Contains("holds no logit_scale", e.Message);
        Assert.Contains("'logit_scale' and 'logit_bias'", e.Message);
    }
}
