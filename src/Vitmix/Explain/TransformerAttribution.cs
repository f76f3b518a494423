using Vitmix.Engine;

namespace Vitmix.Explain;

/// <summary>
/// Transformer attribution (Chefer, Gur &amp; Wolf, CVPR 2021), what ViTmiX calls LRP: per block
/// E_l = mean_h max(0, ∇A_l ⊙ R_l) from the gradients and the LRP relevances of the attention probabilities,
/// rolled out without row normalisation, joint = (E_{L-1} + I) ··· (E_s + I); the map is the class token's row
/// over the patches.
/// </summary>
public sealed class TransformerAttribution(int startLayer = 0) : IExplainer
{
    public string Name => "lrp";
    public PassRequirements Requires => PassRequirements.AttentionGradients | PassRequirements.AttentionRelevance;
    public int StartLayer { get; } = startLayer >= 0 ? startLayer : throw new ArgumentOutOfRangeException(nameof(startLayer), "start layer must be ≥ 0");

    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var joint = RollOut(pass, sample, Math.Min(StartLayer, pass.Config.Depth - 1), useGradients: true);
        yield return new(Name, pass.ClassRowToGrid(joint));
    }

    /// <summary>Π_l (E_l + I) from block <paramref name="start"/>, with E_l = mean_h max(0, [∇A_l ⊙] R_l).</summary>
    internal static float[] RollOut(ExplanationPass pass, int sample, int start, bool useGradients)
    {
        var c = pass.Config;
        int n = c.NumTokens;
        var joint = new float[n * n];
        var e = new float[n * n];
        var product = new float[n * n];
        for (int l = start; l < c.Depth; l++)
        {
            HeadMeanPositive(pass, l, sample, useGradients, e);
            for (int i = 0; i < n; i++) e[i * n + i] += 1f;
            if (l == start) e.CopyTo(joint, 0);
            else
            {
                Gemm.Multiply(false, false, n, n, n, 1f, e, n, joint, n, 0f, product, n);
                (joint, product) = (product, joint);
            }
        }
        return joint;
    }

    internal static void HeadMeanPositive(ExplanationPass pass, int block, int sample, bool useGradients, Span<float> e)
    {
        int h = pass.Config.NumHeads;
        e.Clear();
        var relevance = pass.AttentionRelevance![block]!;
        for (int head = 0; head < h; head++)
        {
            var r = pass.HeadMatrix(relevance, sample, head);
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
