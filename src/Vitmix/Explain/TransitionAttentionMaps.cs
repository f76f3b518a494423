using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Explain;

/// <summary>
/// Transition Attention Maps (Yuan et al., "Explaining Information Flow Inside Vision Transformers Using Markov
/// Chain", NeurIPS 2021 XAI4Debugging), as the reference computes them (XianrenYty/Transition_Attention_Maps,
/// baselines/ViT/interpret_methods.py, transition_attention_maps, commit 32c5a48):
/// <list type="number">
/// <item>the state starts as the readout row (<see cref="ExplanationPass.ReadoutRow"/>; the class token's row 0
/// for a class-token model, as in the reference) of the last block's head-mean attention, s = wᵀĀ_{L-1};</item>
/// <item>it moves down the chain to the start layer, s ← s·Ā_l + s for l = L-2 … start (the residual keeps the
/// state: s·(Ā_l + I), unnormalised);</item>
/// <item>it is weighted by the readout row of the last block's attention gradient, clamped at zero after its
/// mean over <c>steps</c> inputs scaled by α = linspace(0, 1, steps) (integrated gradients from a zero input) and
/// then averaged over heads; without the integral, the plain gradient at the input.</item>
/// </list>
/// The map is the weighted state over the patch tokens. The scaled inputs run as batches; a readout whose weights
/// depend on the input (an attention pool) is read with the weights of the unscaled input for every scaled copy.
/// </summary>
[Explainer("tam", Aliases = ["transition-attention-maps"], Summary = "transition attention maps, attention as a Markov chain weighted by integrated gradients (Yuan et al. 2021)", InAll = true, Order = 50)]
public sealed class TransitionAttentionMaps : IExplainer
{
    // Scaled copies forwarded together: the recorded forward of one ViT-B sample is about as large as an
    // explanation pass's, and evaluation runs those in batches of 16.
    const int MaxStepsPerBatch = 16;

    readonly int startLayer = 4;
    readonly int steps = 20;

    /// <inheritdoc/>
    public string Name => "tam";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.Attention | (Integral ? PassRequirements.None : PassRequirements.AttentionGradients);

    /// <summary>The lowest block the state moves through (the reference's start_layer, 4).</summary>
    [ExplainerOption("tam-start-layer", Description = "TAM start layer: the lowest block the Markov chain runs through (reference: 4)", Minimum = 0, ValueName = "LAYER")]
    public int StartLayer
    {
        get => startLayer;
        init => startLayer = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(StartLayer), "start layer must be ≥ 0");
    }

    /// <summary>Scaled inputs of the integrated gradient (the reference's steps, 20).</summary>
    [ExplainerOption("tam-steps", Description = "TAM integration steps: scaled inputs whose last-block attention gradients are averaged (reference: 20)", Minimum = 1, ValueName = "N")]
    public int Steps
    {
        get => steps;
        init => steps = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Steps), "steps must be ≥ 1");
    }

    /// <summary>Whether the gradient is integrated over scaled inputs (the reference's with_integral); otherwise the gradient at the input.</summary>
    [ExplainerOption("tam-integral", Description = "TAM weights the state by integrated gradients (true, the reference's default) or by the gradient at the input")]
    public bool Integral { get; init; } = true;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int n = c.NumTokens, last = c.Depth - 1;
        var fused = new float[n * n];
        AttentionRollout.FuseHeads(pass, last, sample, HeadFusion.Mean, fused);
        var state = new float[n];
        pass.ReadoutRow(fused, sample, state);
        var next = new float[n];
        for (int l = last - 1; l >= StartLayer; l--)
        {
            AttentionRollout.FuseHeads(pass, l, sample, HeadFusion.Mean, fused);
            // next = state·Ā_l + state
            state.CopyTo(next, 0);
            for (int i = 0; i < n; i++)
            {
                float s = state[i];
                if (s != 0f) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(fused.AsSpan(i * n, n), s, next, next);
            }
            (state, next) = (next, state);
        }
        var weight = Integral ? IntegratedReadoutRowGradient(pass, sample) : PositiveHeadMean(ReadoutRows(pass, pass.AttentionGradients![last]!, sample, sample), c.NumHeads, n, 1);
        var values = new float[c.NumPatches];
        for (int p = 0; p < values.Length; p++)
        {
            int token = c.NumPrefixTokens + p;
            values[p] = state[token] * weight[token];
        }
        yield return new(Name, new Heatmap(values, c.GridHeight, c.GridWidth));
    }

    /// <summary>mean_h max(0, Σ_α wᵀ∇A_{L-1}(α·x)[h] / steps), the gradients taken in batches of scaled copies.</summary>
    float[] IntegratedReadoutRowGradient(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int n = c.NumTokens, h = c.NumHeads, imageLength = c.InChannels * c.ImageHeight * c.ImageWidth;
        var image = pass.Input.Data.AsSpan(sample * imageLength, imageLength);
        var sum = new float[h * n];   // Σ_α of the readout row of every head
        foreach (var (first, count) in EvenChunks.Of(Steps, MaxStepsPerBatch))
        {
            var batch = new Tensor(count, c.InChannels, c.ImageHeight, c.ImageWidth);
            for (int j = 0; j < count; j++)
                System.Numerics.Tensors.TensorPrimitives.Multiply(image, Alpha(first + j), batch.Data.AsSpan(j * imageLength, imageLength));
            var g = AttentionGradientProbe.Compute(pass.Model, batch, c.Depth - 1, pass.Targets[sample]);
            for (int j = 0; j < count; j++)
            {
                var rows = ReadoutRows(pass, g, j, sample);
                System.Numerics.Tensors.TensorPrimitives.Add(sum, rows, sum);
            }
        }
        return PositiveHeadMean(sum, h, n, Steps);
    }

    /// <summary>The readout row of every head of sample <paramref name="at"/> of a per-block gradient (B, H, N, N), read with sample <paramref name="sample"/>'s readout weights: (H, N).</summary>
    static float[] ReadoutRows(ExplanationPass pass, float[] gradient, int at, int sample)
    {
        int h = pass.Config.NumHeads, n = pass.Config.NumTokens;
        var rows = new float[h * n];
        var w = pass.ReadoutWeightsOf(sample);
        for (int head = 0; head < h; head++)
            ExplanationPass.WeightedRows(w, gradient.AsSpan((at * h + head) * n * n, n * n), rows.AsSpan(head * n, n));
        return rows;
    }

    /// <summary>α_k of numpy's linspace(0, 1, steps): k · (1 / (steps − 1)) with the last exactly 1, and 0 alone for one step.</summary>
    float Alpha(int k) => Steps == 1 ? 0f : k == Steps - 1 ? 1f : (float)(k * (1.0 / (Steps - 1)));

    /// <summary>mean_h max(0, rows[h, :] / divisor) of per-head readout rows (H, N).</summary>
    static float[] PositiveHeadMean(float[] rows, int heads, int n, int divisor)
    {
        var row = new float[n];
        for (int head = 0; head < heads; head++)
        {
            var g = rows.AsSpan(head * n, n);
            for (int j = 0; j < n; j++) row[j] += Math.Max(0f, g[j] / divisor);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(row, heads, row);
        return row;
    }
}
