using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Model.Relevance;
using Vitmix.Relevance.Composites;
using Vitmix.Relevance.Rules;

namespace Vitmix.Tests.Model;

/// <summary>Conservation properties of the LRP rules (Chefer et al. 2021; Bach et al. 2015).</summary>
public class LrpRuleTests
{
    static float[] RandomArray(Random rng, int n, double offset = 0) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1 + offset)).ToArray();

    /// <summary>A relevance context over an empty pass of <paramref name="batch"/> samples, for calling rules directly.</summary>
    internal static RelevanceContext Context(int batch = 1) =>
        new(new ForwardContext(ComputeBackend.Cpu, new BufferArena(1 << 20), batch, recording: false, new PassOutputs(0, PassRequirements.None)),
            TransformerAttributionComposite.Instance);

    [Fact]
    public void SafeDivideFollowsTheReference()
    {
        Assert.Equal(0f, CpuBackend.SafeDivide(5f, 0f));
        Assert.Equal(2f / (4f + 1e-9f), CpuBackend.SafeDivide(2f, 4f));
        Assert.Equal(1f / 1e-9f, CpuBackend.SafeDivide(1f, -1e-9f)); // z + 1e-9 == 0 → denominator 1e-9
    }

    [Fact]
    public void TheVectorisedSafeDivideMatchesItsScalarTwin()
    {
        var rng = new Random(3);
        int n = 1000;
        var a = RandomArray(rng, n);
        var z = RandomArray(rng, n);
        for (int i = 0; i < n; i += 7) z[i] = 0f;
        for (int i = 3; i < n; i += 11) z[i] = -1e-9f;
        z[5] = float.NaN;
        var y = new Tensor(n);
        ComputeBackend.Cpu.SafeDivide(new Tensor(a, n), new Tensor(z, n), y);
        for (int i = 0; i < n; i++) Assert.Equal(CpuBackend.SafeDivide(a[i], z[i]), y.Data[i]);
    }

    [Fact]
    public void ResidualSplitPreservesTheTotalAndTheShares()
    {
        var rng = new Random(1);
        int n = 197;
        var a = RandomArray(rng, n, 0.3); var b = RandomArray(rng, n, -0.1); var r = RandomArray(rng, n, 0.2);
        var (ta, tb) = new NormalizedResidualRule().Apply(Context(), new Tensor(a, n), new Tensor(b, n), new Tensor(r, n));
        var ra = ta.Data; var rb = tb.Data;
        double total = r.Sum(v => (double)v), sa = ra.Sum(v => (double)v), sb = rb.Sum(v => (double)v);
        Assert.Equal(total, sa + sb, 4);
        // Shares: |A| / (|A| + |B|) of the total before rescaling, computed independently.
        double a0 = 0, b0 = 0;
        for (int i = 0; i < n; i++)
        {
            float z = a[i] + b[i];
            double s = z == 0 ? 0 : r[i] / (z + 1e-9f);
            a0 += a[i] * s; b0 += b[i] * s;
        }
        Assert.Equal(Math.Abs(a0) / (Math.Abs(a0) + Math.Abs(b0)) * total, sa, 4);
    }

    [Fact]
    public void AlphaOneBetaZeroConservesRelevanceWhereZIsNonZero()
    {
        var rng = new Random(2);
        int rows = 5, inDim = 13, outDim = 7;
        var x = RandomArray(rng, rows * inDim); var w = RandomArray(rng, outDim * inDim); var r = RandomArray(rng, rows * outDim);
        var rx = new AlphaBetaRule(1f, 0f).Apply(Context(), new Tensor(x, rows, inDim), new Tensor(w, outDim, inDim), null, new Tensor(r, rows, outDim), rows, inDim, outDim).Data;
        for (int row = 0; row < rows; row++)
            Assert.Equal(r.Skip(row * outDim).Take(outDim).Sum(), rx.Skip(row * inDim).Take(inDim).Sum(), 3);

        // Against a naive twin of the rule, element by element.
        for (int row = 0; row < rows; row++)
            for (int i = 0; i < inDim; i++)
            {
                double expected = 0;
                for (int o = 0; o < outDim; o++)
                {
                    double z = 0;
                    for (int j = 0; j < inDim; j++)
                    {
                        double xv = x[row * inDim + j], wv = w[o * inDim + j];
                        z += xv > 0 && wv > 0 || xv < 0 && wv < 0 ? xv * wv : 0;
                    }
                    double s = z == 0 ? 0 : r[row * outDim + o] / (z + 1e-9);
                    double xi = x[row * inDim + i], wi = w[o * inDim + i];
                    expected += xi > 0 && wi > 0 || xi < 0 && wi < 0 ? xi * wi * s : 0;
                }
                Assert.Equal(expected, rx[row * inDim + i], 3);
            }
    }

    [Fact]
    public void AlphaBetaWithBetaSubtractsTheInhibitingShare()
    {
        // α = 2, β = 1 against a naive twin: R = α·R⁺ − β·R⁻, the inhibiting share pairing x⁺ with W⁻ and x⁻ with W⁺.
        var rng = new Random(4);
        int rows = 3, inDim = 6, outDim = 4;
        var x = RandomArray(rng, rows * inDim); var w = RandomArray(rng, outDim * inDim); var r = RandomArray(rng, rows * outDim);
        var rx = new AlphaBetaRule(2f, 1f).Apply(Context(), new Tensor(x, rows, inDim), new Tensor(w, outDim, inDim), null, new Tensor(r, rows, outDim), rows, inDim, outDim).Data;
        double Share(int row, int i, bool activating)
        {
            double total = 0;
            for (int o = 0; o < outDim; o++)
            {
                bool Takes(double xv, double wv) => activating ? xv * wv > 0 : xv * wv < 0;
                double z = 0;
                for (int j = 0; j < inDim; j++)
                {
                    double xv = x[row * inDim + j], wv = w[o * inDim + j];
                    if (Takes(xv, wv)) z += xv * wv;
                }
                double s = z == 0 ? 0 : r[row * outDim + o] / (z + 1e-9);
                double xi = x[row * inDim + i], wi = w[o * inDim + i];
                if (Takes(xi, wi)) total += xi * wi * s;
            }
            return total;
        }
        for (int row = 0; row < rows; row++)
            for (int i = 0; i < inDim; i++)
                Assert.Equal(2 * Share(row, i, true) - Share(row, i, false), rx[row * inDim + i], 3);
    }

    [Fact]
    public void TheRelevancePassConservesRelevanceThroughABlockResidualChain()
    {
        // Every residual split preserves its sample's total exactly, so the relevance entering the first block
        // differs from the one-hot start only by what the linear rules lose where Z = 0 or to the 1e-9 stabiliser.
        var config = TinyModels.Config();
        var model = TinyModels.Random(config, seed: 4);
        var input = TinyModels.RandomInput(config, 1, seed: 8);
        var trace = model.Run(input, record: true);
        var pass = new RelevancePass(model, trace);
        var oneHot = new float[config.NumClasses];
        oneHot[2] = 1f;
        var r = pass.Start(oneHot);
        for (int i = model.Layers.Count - 1; i >= model.FirstBlock + config.Depth; i--) r = pass.Step(model.Layers[i], r);
        Assert.Equal(1.0, r.Data.Sum(v => (double)v), 3);
        for (int l = config.Depth - 1; l >= 0; l--)
        {
            var before = r.Data.Sum(v => (double)v);
            r = pass.Step(model.Blocks[l], r);
            Assert.True(pass.AttentionRelevance[l] != null);
            Assert.DoesNotContain(r.Data, float.IsNaN);
            Assert.Equal(before, r.Data.Sum(v => (double)v), 2);
        }
    }
}
