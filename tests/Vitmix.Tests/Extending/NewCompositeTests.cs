using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Relevance;
using Vitmix.Relevance.Composites;
using Vitmix.Relevance.Rules;

namespace Vitmix.Tests.Extending;

/// <summary>
/// An LRP variant is one composite: this test's composite takes the LRP-ε rule (Bach et al. 2015) on every linear layer
/// instead of Chefer et al.'s alpha 1 / beta 0 and keeps their other rules; the relevance pass and the explainers run it
/// unchanged. (AttnLRP and CP-LRP will be composites like this one, with their own rules.)
/// </summary>
public class NewCompositeTests
{
    /// <summary>LRP-ε for y = x·Wᵀ + b: R_x = x ⊙ ((R ⊘ (z + ε·sign z))·W), z = x·Wᵀ (this example leaves the bias out of z).</summary>
    sealed class EpsilonRule(float epsilon) : ILinearRule
    {
        public Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim)
        {
            var z = new Tensor(rows, outDim);
            Gemm.Multiply(false, true, rows, outDim, inDim, 1f, x.Data, inDim, weight.Data, inDim, 0f, z.Data, outDim);
            for (int i = 0; i < z.Length; i++) z.Data[i] = outputRelevance.Data[i] / (z.Data[i] + (z.Data[i] >= 0 ? epsilon : -epsilon));
            var result = context.Rent(rows, inDim);
            Gemm.Multiply(false, false, rows, inDim, outDim, 1f, z.Data, outDim, weight.Data, inDim, 0f, result.Data, inDim);
            for (int i = 0; i < result.Length; i++) result.Data[i] *= x.Data[i];
            return result;
        }
    }

    sealed class EpsilonComposite : LrpComposite
    {
        static readonly LrpComposite chefer = TransformerAttributionComposite.Instance;
        readonly EpsilonRule epsilon = new(1e-6f);
        public override string Name => "epsilon-example";
        public override ILinearRule Linear(LinearRole role) => epsilon;
        public override IInputRule Input => chefer.Input;
        public override IAdditionRule PositionEmbedding => chefer.PositionEmbedding;
        public override IAdditionRule Residual => chefer.Residual;
        public override ICloneRule Clone => chefer.Clone;
        public override INormalizationRule LayerNorm => chefer.LayerNorm;
        public override IElementwiseRule Activation => chefer.Activation;
        public override IElementwiseRule LayerScale => chefer.LayerScale;
        public override IElementwiseRule Softmax => chefer.Softmax;
        public override IProductRule AttentionValues => chefer.AttentionValues;
        public override IProductRule AttentionScores => chefer.AttentionScores;
        public override IPoolingRule Pooling => chefer.Pooling;
    }

    [Fact]
    public void TheEpsilonRuleConservesRelevanceThroughABiasFreeLayer()
    {
        var rng = new Random(3);
        int rows = 4, inDim = 9, outDim = 5;
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var x = R(rows * inDim); var w = R(outDim * inDim); var r = R(rows * outDim);
        var rx = new EpsilonRule(1e-6f).Apply(Model.LrpRuleTests.Context(), new Tensor(x, rows, inDim), new Tensor(w, outDim, inDim), null,
            new Tensor(r, rows, outDim), rows, inDim, outDim);
        for (int row = 0; row < rows; row++)
            Assert.Equal(r.Skip(row * outDim).Take(outDim).Sum(), rx.Data.Skip(row * inDim).Take(inDim).Sum(), 3);
    }

    [Fact]
    public void TheRelevancePassAndTheExplainersRunTheNewComposite()
    {
        var config = TinyModels.Config();
        var model = TinyModels.Random(config, seed: 9);
        var input = TinyModels.RandomInput(config, 2, seed: 1);
        var requirements = PassRequirements.Attention | PassRequirements.AttentionGradients | PassRequirements.AttentionRelevance | PassRequirements.PixelRelevance;
        using var chefer = ExplanationPass.Compute(model, input, requirements);
        using var eps = ExplanationPass.Compute(model, input, requirements, composite: new EpsilonComposite());
        var lrp = new TransformerAttribution();
        for (int i = 0; i < 2; i++)
        {
            var a = lrp.Explain(chefer, i).Single().Value.Values;
            var b = lrp.Explain(eps, i).Single().Value.Values;
            Assert.All(b, v => Assert.True(float.IsFinite(v)));
            Assert.NotEqual(a, b); // other rules, other relevances
        }
        Assert.NotEqual(chefer.PixelRelevance, eps.PixelRelevance);
    }
}
