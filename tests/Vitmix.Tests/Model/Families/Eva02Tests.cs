using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Tests.Model.Families;

/// <summary>
/// EVA-02's layers: the rotary position embedding (timm's angles and pairing, its inverse, LRP-0 through it, a pass on
/// kept patches against PyTorch) and the SwiGLU MLP's relevance (the gate a constant).
/// </summary>
public class Eva02Tests
{
    static string Folder(string name) => Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Model", "Families", name);

    [Fact]
    public void TheRotationIsTimmsPairingWithRowThenColumnAngles()
    {
        // head width 8: 2 frequencies (1, 1/100); pairs 0, 1 turn by row·f, pairs 2, 3 by column·f (meshgrid 'ij')
        var rope = new RotaryPositionEmbedding(8, 2, 2, 0, 0, prefixTokens: 1);
        int heads = 1, tokens = 5, d = 8;
        var qkv = new Tensor(1, tokens, 3 * d);
        var rng = new Random(1);
        for (int i = 0; i < qkv.Length; i++) qkv.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        var before = (float[])qkv.Data.Clone();
        rope.Rotate(qkv, null, 1, tokens, heads, inverse: false);
        // token 3 is patch 2: row 1, column 0
        float[] angles = [1f, 0.01f, 0f, 0f];
        for (int part = 0; part < 2; part++)
            for (int j = 0; j < 4; j++)
            {
                int at = 3 * 3 * d + part * d + 2 * j;
                float x0 = before[at], x1 = before[at + 1], c = MathF.Cos(angles[j]), s = MathF.Sin(angles[j]);
                Assert.True(Math.Abs(x0 * c - x1 * s - qkv.Data[at]) <= 1e-6f, $"pair {j} first of part {part}");
                Assert.True(Math.Abs(x1 * c + x0 * s - qkv.Data[at + 1]) <= 1e-6f, $"pair {j} second of part {part}");
            }
        // the class token and every v are untouched
        Assert.Equal(before.AsSpan(0, 3 * d).ToArray(), qkv.Data.AsSpan(0, 3 * d).ToArray());
        for (int t = 1; t < tokens; t++) Assert.Equal(before.AsSpan(t * 3 * d + 2 * d, d).ToArray(), qkv.Data.AsSpan(t * 3 * d + 2 * d, d).ToArray());
        rope.Rotate(qkv, null, 1, tokens, heads, inverse: true);
        for (int i = 0; i < before.Length; i++) Assert.True(Math.Abs(before[i] - qkv.Data[i]) <= 1e-6f, $"value {i} after the inverse");
    }

    [Fact]
    public void RelevanceThroughTheRotationIsConserved()
    {
        var rope = new RotaryPositionEmbedding(8, 2, 2, 16, 16, prefixTokens: 1);
        int heads = 2, tokens = 5, d = 16;
        var rng = new Random(2);
        var rotated = new Tensor(1, tokens, 3 * d);
        var relevance = new Tensor(1, tokens, 3 * d);
        for (int i = 0; i < rotated.Length; i++) { rotated.Data[i] = (float)(rng.NextDouble() * 2 - 1); relevance.Data[i] = (float)rng.NextDouble(); }
        double Sum() => Enumerable.Range(0, tokens).Sum(t => relevance.Data.AsSpan(t * 3 * d, 2 * d).ToArray().Sum(v => (double)v));
        double before = Sum();
        var kept = new[] { new[] { 3, 0, 2, 1 } };
        rope.Relevance(rotated, relevance, kept, 1, tokens, heads);
        Assert.Equal(before, Sum(), 3);
    }

    [Theory]
    [InlineData("timm-eva02")]
    [InlineData("timm-eva02-mim")]
    public void APassOnKeptPatchesRotatesEachByItsOwnPlace(string name)
    {
        var model = ModelLoader.Load(Folder(name)).Network;
        var x = Npy.Read(Path.Combine(Folder(name), "expected", "input.npy"));
        var all = x.ToFloat();
        var one = new Tensor(all.AsSpan(0, all.Length / 2).ToArray(), 1, x.Shape[1], x.Shape[2], x.Shape[3]);
        var expected = Npy.Read(Path.Combine(Folder(name), "expected", "subset_logits.npy")).ToFloat();
        var logits = model.ForwardTokens(one, [[1, 2, 4, 7, 9, 15]]).Data;
        // and with the first block's q, k, v gathered from the whole sequence's, rotated after the gather by each kept patch's place
        var gathered = model.ForwardEmbedded(model.EmbedForSubsets(one), [[1, 2, 4, 7, 9, 15]]).Data;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 2e-5, $"{name} subset logit {i}: {logits[i]} vs PyTorch's {expected[i]}");
            Assert.True(Math.Abs(gathered[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 2e-5, $"{name} subset logit {i}, gathered q, k, v: {gathered[i]} vs PyTorch's {expected[i]}");
        }
    }

    [Theory]
    [InlineData("timm-eva02")]
    [InlineData("timm-eva02-mim")]
    public void AtAnotherSizeTheRotaryTableIsBuiltForTheNewGrid(string name)
    {
        // timm.create_model(..., img_size=42): a 3x3 rotary table scaled by ref_feat_shape / 3, pos_embed resampled
        // by timm's antialiased bicubic (the timm layout's library interpolation)
        var model = ModelLoader.Load(Folder(name));
        var resized = ModelLoader.AtImageSize(model, 42, PositionEmbeddingInterpolations.For(model.Layout));
        var x = Npy.Read(Path.Combine(Folder(name), "expected", "resized_input.npy"));
        var expected = Npy.Read(Path.Combine(Folder(name), "expected", "resized_logits.npy")).ToFloat();
        var logits = resized.Network.Forward(new Tensor(x.ToFloat(), x.Shape)).Data;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 5e-5, $"{name} logit {i} at 42 px: {logits[i]} vs PyTorch's {expected[i]}");
    }

    [Fact]
    public void TheGatedProductGivesTheValueAllOrHalfByComposite()
    {
        // fc1 = [random gate rows; identity value rows], fc2 = I, no biases: y = silu(g) ⊙ x. With the gate constant
        // (CP-LRP) the value path carries fc2's relevance to x unchanged: x holds y. With AttnLRP's uniform rule half
        // goes through the value (x gets y/2 that way) and half through the gate rows, and the total is still Σy.
        int dim = 6, rows = 3;
        var rng = new Random(4);
        var w1 = new float[2 * dim * dim];
        for (int i = 0; i < dim * dim; i++) w1[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < dim; i++) w1[dim * dim + i * dim + i] = 1f;
        var w2 = new float[dim * dim];
        for (int i = 0; i < dim; i++) w2[i * dim + i] = 1f;
        var mlp = new GatedMlp("mlp", new Linear("mlp.fc1", w1, null, dim, 2 * dim, LinearRole.MlpIn), null,
            new Linear("mlp.fc2", w2, null, dim, dim, LinearRole.MlpOut));
        var forward = new ForwardContext(ComputeBackend.Cpu, new BufferArena(1 << 20), 1, recording: true, new PassOutputs(0, PassRequirements.None));
        var x = new Tensor(1, rows, dim);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = mlp.Forward(x, forward);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(SwiGlu.Silu(Gate(i)) * x.Data[i] - y.Data[i]) <= 1e-5f, $"output {i}");

        var r = mlp.Relevance(y, new RelevanceContext(forward, CpLrpComposite.Instance));
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(y.Data[i] - r.Data[i]) <= 1e-4f * (1 + Math.Abs(y.Data[i])), $"constant gate, relevance {i}: {r.Data[i]} vs {y.Data[i]}");
        double total = y.Data.Take(x.Length).Sum(v => (double)v);
        var uniform = mlp.Relevance(y, new RelevanceContext(forward, AttnLrpComposite.Instance));
        Assert.Equal(total, uniform.Data.Take(x.Length).Sum(v => (double)v), 3);
        Assert.NotEqual(r.Data.Take(x.Length), uniform.Data.Take(x.Length));

        float Gate(int i)
        {
            int row = i / dim, j = i % dim;
            float g = 0;
            for (int k = 0; k < dim; k++) g += w1[j * dim + k] * x.Data[row * dim + k];
            return g;
        }
    }

    [Theory]
    [InlineData("timm-eva02")]
    [InlineData("timm-eva02-mim")]
    [InlineData("timm-beit")]   // q_bias / v_bias and no pos_embed, as for EVA-02's saving
    public void ASavedModelReloadsWithItsRotaryEmbeddingAndGatedMlp(string name)
    {
        using var tmp = new Vitmix.Tests.Data.Datasets.TempDir();
        var model = ModelLoader.Load(Folder(name));
        ModelSaver.Save(tmp.Combine("saved"), model.Network, model.Preprocessing, model.ClassNames);
        var again = ModelLoader.Load(tmp.Combine("saved"));
        Assert.Equal(model.Config, again.Config);
        var x = TinyModels.RandomInput(model.Config, 1, 6);
        Assert.Equal(model.Network.Forward(x).Data, again.Network.Forward(x).Data);
    }

    [Fact]
    public void BothCompositesRunThroughEvaAndGiveFiniteRelevance()
    {
        var model = ModelLoader.Load(Folder("timm-eva02-mim")).Network;
        var x = Npy.Read(Path.Combine(Folder("timm-eva02-mim"), "expected", "input.npy"));
        var input = new Tensor(x.ToFloat(), x.Shape);
        foreach (LrpComposite composite in new LrpComposite[] { TransformerAttributionComposite.Instance, AttnLrpComposite.Instance, CpLrpComposite.Instance })
        {
            using var pass = ExplanationPass.Compute(model, input, PassRequirements.AttentionRelevance | PassRequirements.PixelRelevance, composite: composite);
            Assert.True(pass.PixelRelevance!.All(float.IsFinite), composite.Name);
            for (int l = 0; l < model.Config.Depth; l++) Assert.True(pass.AttentionRelevance![l]!.All(float.IsFinite), $"{composite.Name} block {l}");
        }
    }
}
