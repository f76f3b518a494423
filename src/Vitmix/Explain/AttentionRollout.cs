using Vitmix.Engine;

namespace Vitmix.Explain;

/// <summary>How the heads of one block are fused before rolling out (vit-explain's head_fusion).</summary>
public enum HeadFusion { Mean, Max, Min }

/// <summary>
/// Attention Rollout (Abnar &amp; Zuidema 2020), the variant of Chefer et al. and ViTmiX: Ā_l = fuse_h A_l,
/// Â_l = (Ā_l + I) / rowsum, joint = Â_{L-1} ··· Â_s; the map is the class token's row over the patches.
/// Options from vit-explain: head fusion and a discard ratio (the lowest fraction of each fused matrix is zeroed,
/// never the class token's own entry, before adding I). A start layer past the last block is clamped to it.
/// </summary>
public sealed class AttentionRollout(int startLayer = 0, HeadFusion headFusion = HeadFusion.Mean, float discardRatio = 0f) : IExplainer
{
    public string Name => "rollout";
    public PassRequirements Requires => PassRequirements.Attention;
    public int StartLayer { get; } = startLayer >= 0 ? startLayer : throw new ArgumentOutOfRangeException(nameof(startLayer), "start layer must be ≥ 0");
    public HeadFusion HeadFusion { get; } = headFusion;
    public float DiscardRatio { get; } = discardRatio is >= 0f and < 1f ? discardRatio : throw new ArgumentOutOfRangeException(nameof(discardRatio), "discard ratio must be in [0, 1)");

    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int n = c.NumTokens, h = c.NumHeads;
        int start = Math.Min(StartLayer, c.Depth - 1);
        var joint = new float[n * n];
        var fused = new float[n * n];
        var product = new float[n * n];
        for (int l = start; l < c.Depth; l++)
        {
            FuseHeads(pass, l, sample, fused);
            if (DiscardRatio > 0f) Discard(fused);
            for (int i = 0; i < n; i++)
            {
                var row = fused.AsSpan(i * n, n);
                row[i] += 1f;
                float sum = System.Numerics.Tensors.TensorPrimitives.Sum(row);
                System.Numerics.Tensors.TensorPrimitives.Divide(row, sum, row);
            }
            if (l == start) fused.CopyTo(joint, 0);
            else
            {
                Gemm.Multiply(false, false, n, n, n, 1f, fused, n, joint, n, 0f, product, n);
                (joint, product) = (product, joint);
            }
        }
        yield return new(Name, pass.ClassRowToGrid(joint));
    }

    void FuseHeads(ExplanationPass pass, int block, int sample, Span<float> fused)
    {
        int h = pass.Config.NumHeads;
        var attention = pass.Attention[block];
        pass.HeadMatrix(attention, sample, 0).CopyTo(fused);
        for (int head = 1; head < h; head++)
        {
            var m = pass.HeadMatrix(attention, sample, head);
            switch (HeadFusion)
            {
                case HeadFusion.Mean: System.Numerics.Tensors.TensorPrimitives.Add(fused, m, fused); break;
                case HeadFusion.Max: System.Numerics.Tensors.TensorPrimitives.Max(fused, m, fused); break;
                default: System.Numerics.Tensors.TensorPrimitives.Min(fused, m, fused); break;
            }
        }
        if (HeadFusion == HeadFusion.Mean) System.Numerics.Tensors.TensorPrimitives.Divide(fused, h, fused);
    }

    void Discard(Span<float> fused)
    {
        int count = (int)(fused.Length * DiscardRatio);
        if (count == 0) return;
        var order = new int[fused.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = fused.ToArray();
        Array.Sort(keys, order);
        for (int i = 0; i < count; i++)
            if (order[i] != 0) fused[order[i]] = 0f; // never the class token's attention to itself
    }
}
