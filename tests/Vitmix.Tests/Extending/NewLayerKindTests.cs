using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Model.Relevance;

namespace Vitmix.Tests.Extending;

/// <summary>
/// A block variant is one layer file: here <see cref="ChannelShift"/> (y = x + β, a learned per-channel shift on a
/// residual branch, LayerScale's additive sibling) is written in this test alone, put into every block's MLP branch,
/// and the unchanged forward, backward and relevance passes run it: gradients match finite differences, relevance is
/// conserved through each block (less what the shift itself takes), and the shared explanation pass serves every method.
/// </summary>
public class NewLayerKindTests
{
    /// <summary>The whole new layer kind: forward, backward (with its parameter's gradient) and its relevance site.</summary>
    sealed class ChannelShift(string name, float[] beta) : Layer(name)
    {
        public Parameter Beta { get; } = new(name + ".beta", new Tensor(beta, beta.Length));
        /// <summary>Relevance the shift took in the last relevance pass (it is a parameter: it goes no further).</summary>
        public double Absorbed { get; private set; }
        public override string Kind => "channel shift";
        public override IEnumerable<Parameter> Parameters => [Beta];

        public override Tensor Forward(Tensor input, ForwardContext context)
        {
            var y = context.Rent(input.Shape);
            int d = Beta.Value.Length, rows = (int)(input.Length / d);
            context.Backend.Copy(input, 0, y, 0, input.Length);
            for (int r = 0; r < rows; r++) context.Backend.AddAt(y, (long)r * d, Beta.Value, 0, d);
            context.Save(this, new[] { input, y });
            return y;
        }

        public override Tensor Backward(Tensor outputGradient, BackwardContext context)
        {
            int d = Beta.Value.Length;
            if (context.GradientOf(Beta) is { } g) context.Backend.AccumulateRows(outputGradient, 0, (int)(outputGradient.Length / d), d, g);
            var dx = context.Rent(outputGradient.Shape);
            context.Backend.Copy(outputGradient, 0, dx, 0, dx.Length);
            return dx;
        }

        // A constant shift is an addition with a parameter: the composite's residual rule splits the relevance, and the
        // input keeps its share (as the position embedding's addition does).
        public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
        {
            var saved = context.Saved<Tensor[]>(this);
            var x = saved[0];
            int d = Beta.Value.Length, rows = (int)(x.Length / d);
            var shift = context.Rent(x.Shape);
            for (int r = 0; r < rows; r++) context.Backend.Copy(Beta.Value, 0, shift, (long)r * d, d);
            var (rx, rShift) = context.Composite.Residual.Apply(context, x, shift, outputRelevance);
            Absorbed = rShift.Data.Sum(v => (double)v);
            context.Return(rShift);
            context.Return(shift);
            return rx;
        }
    }

    /// <summary>The tiny model with a <see cref="ChannelShift"/> after each block's MLP, built from the library's own layers.</summary>
    static (VisionTransformer Model, List<ChannelShift> Shifts) ModelWithShifts(int seed)
    {
        var config = TinyModels.Config();
        var w = TinyModels.Random(config, seed).Weights;
        var rng = new Random(seed);
        var shifts = new List<ChannelShift>();
        var layers = VitArchitecture.Build(config, w).Select(layer =>
        {
            if (layer is not TransformerBlock block) return layer;
            var beta = Enumerable.Range(0, config.EmbedDim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var shift = new ChannelShift($"blocks.{block.Index}.shift", beta);
            shifts.Add(shift);
            var mlp = block.Residuals[1];
            return new TransformerBlock(block.Name, block.Index, block.Attention,
                [block.Residuals[0], new Residual(mlp.Name, [.. mlp.Branch, shift])]);
        }).ToList();
        return (new VisionTransformer(config, w, layers), shifts);
    }

    [Fact]
    public void TheNewLayerChangesTheForwardAndItsGradientsMatchFiniteDifferences()
    {
        var (model, shifts) = ModelWithShifts(seed: 7);
        var plain = TinyModels.Random(TinyModels.Config(), seed: 7);
        var input = TinyModels.RandomInput(model.Config, batch: 2, seed: 3);
        Assert.NotEqual(plain.Forward(input).Data, model.Forward(input).Data);

        var rng = new Random(5);
        var coef = Enumerable.Range(0, 2 * model.Config.NumClasses).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        double Loss() => model.Forward(input).Data.Select((v, i) => (double)coef[i] * v).Sum();
        using var trace = model.Run(input, record: true);
        var grads = VitGradients.ZerosLike(model.Weights);
        // the new parameters take gradients beside the weights' own
        var all = grads.Named().ToDictionary(p => p.Name, p => new Tensor(p.Data, p.Data.Length));
        foreach (var s in shifts) all[s.Beta.Name] = new Tensor(new float[s.Beta.Value.Length], s.Beta.Value.Length);
        var context = new BackwardContext(trace.Context, all);
        var g = context.Rent(2, model.Config.NumClasses);
        coef.CopyTo(g.Data, 0);
        for (int i = model.Layers.Count - 1; i >= 0; i--) g = model.Layers[i].Backward(g, context);

        const float h = 4e-3f;
        foreach (var (parameter, analytic) in shifts.Select(s => (s.Beta.Value.Data, all[s.Beta.Name].Data)).Append((input.Data, g.Data)))
            for (int k = 0; k < 6; k++)
            {
                int j = rng.Next(parameter.Length);
                float keep = parameter[j];
                parameter[j] = keep + h; double up = Loss();
                parameter[j] = keep - h; double down = Loss();
                parameter[j] = keep;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - analytic[j]) <= 2e-2 * Math.Max(0.05, Math.Abs(fd)), $"element {j}: finite difference {fd:G5}, analytic {analytic[j]:G5}");
            }
    }

    [Fact]
    public void RelevanceIsConservedThroughEveryBlockAndTheSharedPassServesEveryMethod()
    {
        var (model, shifts) = ModelWithShifts(seed: 4);
        var input = TinyModels.RandomInput(model.Config, 1, seed: 8);
        using var trace = model.Run(input, record: true);
        var pass = new RelevancePass(model, trace);
        var oneHot = new float[model.Config.NumClasses];
        oneHot[1] = 1f;
        var r = pass.Start(oneHot);
        for (int i = model.Layers.Count - 1; i >= model.FirstBlock; i--)
        {
            double before = r.Data.Sum(v => (double)v);
            r = pass.Step(model.Layers[i], r);
            // every residual split conserves its total: what enters a block leaves it, less what its shift absorbed
            if (model.Layers[i] is TransformerBlock block) Assert.Equal(before, r.Data.Sum(v => (double)v) + shifts[block.Index].Absorbed, 2);
        }

        var maps = Vitmix.Explain.ExplainerSet.Parse("all").Explain(model, input)[0].Maps;
        Assert.Equal(["attnflow", "attnlrp", "attnlrp.pixels", "cplrp", "cplrp.pixels", "fulllrp.pixels", "gae", "gradcam", "ig", "ig.pixels", "lrp", "rollout",
            "saliency", "saliency.pixels", "tam", "tis", "vitcx", "vitcx.pixels"], maps.Keys.Order());
        Assert.All(maps.Values, m => Assert.True(FiniteCheck.IndexOfNonFinite(m.Values) < 0));
    }
}
