using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// Transformer attribution (Chefer, Gur &amp; Wolf, CVPR 2021), what ViTmiX calls LRP: per block
/// E_l = mean_h max(0, ∇A_l ⊙ R_l) from the gradients and the LRP relevances of the attention probabilities,
/// rolled out without row normalisation, joint = (E_{L-1} + I) ··· (E_s + I); the map is the readout row
/// (the class token's for a class-token model) over the patches.
/// </summary>
[Explainer("lrp", Aliases = ["transformer-attribution", "chefer"], Summary = "transformer attribution, Chefer et al.'s LRP (2021)", InAll = true, ViTmiX = true, Order = 40)]
public sealed class TransformerAttribution : IExplainer
{
    readonly int startLayer;

    /// <summary>Attribution from block 0 (ViTmiX and Chefer et al.).</summary>
    public TransformerAttribution() { }

    /// <summary>Attribution from block <paramref name="startLayer"/>.</summary>
    public TransformerAttribution(int startLayer) => StartLayer = startLayer;

    /// <inheritdoc/>
    public string Name => "lrp";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.AttentionGradients | PassRequirements.AttentionRelevance;

    /// <summary>The first block rolled out (clamped to the last block).</summary>
    [ExplainerOption("lrp-start-layer", Description = "Transformer attribution start layer", Minimum = 0, ValueName = "LAYER")]
    public int StartLayer
    {
        get => startLayer;
        init => startLayer = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(StartLayer), "start layer must be ≥ 0");
    }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var joint = RollOut(pass, sample, Math.Min(StartLayer, pass.Config.Depth - 1), useGradients: true);
        yield return new(Name, pass.ReadoutRowToGrid(joint, sample));
    }

    /// <summary>Π_l (E_l + I) from block <paramref name="start"/>, with E_l = mean_h max(0, [∇A_l ⊙] R_l).</summary>
    internal static float[] RollOut(ExplanationPass pass, int sample, int start, bool useGradients) =>
        RollOut(pass, sample, start, pass.AttentionRelevance!, useGradients);

    /// <summary>
    /// Π_l (E_l + I) from block <paramref name="start"/>, with E_l = mean_h max(0, [∇A_l ⊙] V_l) for per-block head
    /// matrices <paramref name="values"/>: the LRP relevances here, the attention itself for GAE.
    /// </summary>
    internal static float[] RollOut(ExplanationPass pass, int sample, int start, IReadOnlyList<float[]?> values, bool useGradients)
    {
        int n = pass.Config.NumTokens;
        return RolloutProduct.Compute(n, start, pass.Config.Depth - 1, (l, e) =>
        {
            HeadMeanPositive(pass, values[l]!, l, sample, useGradients, e);
            for (int i = 0; i < n; i++) e[i * n + i] += 1f;
        });
    }

    /// <summary>mean_h max(0, [∇A ⊙] R) of block <paramref name="block"/>'s LRP relevances, into <paramref name="e"/>.</summary>
    internal static void HeadMeanPositive(ExplanationPass pass, int block, int sample, bool useGradients, Span<float> e) =>
        HeadMeanPositive(pass, pass.AttentionRelevance![block]!, block, sample, useGradients, e);

    static void HeadMeanPositive(ExplanationPass pass, float[] values, int block, int sample, bool useGradients, Span<float> e)
    {
        int h = pass.Config.NumHeads;
        e.Clear();
        for (int head = 0; head < h; head++)
        {
            var r = pass.HeadMatrix(values, sample, head);
            if (useGradients)
            {
                var g = pass.HeadMatrix(pass.AttentionGradients![block]!, sample, head);
                for (int i = 0; i < e.Length; i++) e[i] += Math.Max(0f, g[i] * r[i]);
            }
            else
                for (int i = 0; i < e.Length; i++) e[i] += Math.Max(0f, r[i]);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(e, h, e);
    }
}
