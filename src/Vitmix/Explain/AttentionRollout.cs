using Vitmix.Layers;
using System.Numerics.Tensors;

namespace Vitmix.Explain;

/// <summary>How the heads of one block are fused before rolling out (vit-explain's head_fusion).</summary>
public enum HeadFusion
{
    /// <summary>The mean over heads (Abnar &amp; Zuidema; ViTmiX).</summary>
    Mean,
    /// <summary>The element-wise maximum.</summary>
    Max,
    /// <summary>The element-wise minimum.</summary>
    Min,
}

/// <summary>
/// Attention Rollout (Abnar &amp; Zuidema 2020), the variant of Chefer et al. and ViTmiX: Ā_l = fuse_h A_l,
/// Â_l = (Ā_l + I) / rowsum, joint = Â_{L-1} ··· Â_s; the map is the readout row (the class token's for a class-token model) over the patches.
/// Options from vit-explain: head fusion and a discard ratio (the lowest fraction of each fused matrix is zeroed,
/// never the class token's own entry, before adding I). A start layer past the last block is clamped to it.
/// </summary>
[Explainer("rollout", Summary = "attention rollout (Abnar & Zuidema 2020)", InAll = true, ViTmiX = true, Order = 10)]
public sealed class AttentionRollout : IExplainer
{
    readonly int startLayer;
    readonly float discardRatio;

    /// <summary>Rollout from block 0, mean head fusion, nothing discarded.</summary>
    public AttentionRollout() { }

    /// <summary>Rollout with the given options.</summary>
    public AttentionRollout(int startLayer, HeadFusion headFusion = HeadFusion.Mean, float discardRatio = 0f)
    {
        StartLayer = startLayer;
        HeadFusion = headFusion;
        DiscardRatio = discardRatio;
    }

    /// <inheritdoc/>
    public string Name => "rollout";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.Attention;

    /// <summary>The first block rolled out (ViTmiX's script uses 3; clamped to the last block).</summary>
    [ExplainerOption("rollout-start-layer", Description = "Attention Rollout start layer (ViTmiX's script uses 3; clamped to the last block)", Minimum = 0, ValueName = "LAYER")]
    public int StartLayer
    {
        get => startLayer;
        init => startLayer = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(StartLayer), "start layer must be ≥ 0");
    }

    /// <summary>How the heads of a block are fused.</summary>
    [ExplainerOption("rollout-head-fusion", Description = "How rollout fuses the heads of a block")]
    public HeadFusion HeadFusion { get; init; } = HeadFusion.Mean;

    /// <summary>Fraction of the lowest entries of each fused matrix that is zeroed.</summary>
    [ExplainerOption("rollout-discard-ratio", Description = "Fraction of the lowest attention entries rollout zeroes per block", Minimum = 0, ExclusiveMaximum = 1, ValueName = "FRACTION")]
    public float DiscardRatio
    {
        get => discardRatio;
        init => discardRatio = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(DiscardRatio), "discard ratio must be in [0, 1)");
    }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int n = c.NumTokens;
        var joint = RolloutProduct.Compute(n, Math.Min(StartLayer, c.Depth - 1), c.Depth - 1, (l, fused) =>
        {
            FuseHeads(pass, l, sample, HeadFusion, fused);
            if (DiscardRatio > 0f) Discard(fused);
            AddResidualAndNormalizeRows(fused, n);
        });
        yield return new(Name, pass.ReadoutRowToGrid(joint, sample));
    }

    /// <summary>The residual as a transition: each row of the N×N matrix plus its identity row, divided by its sum.</summary>
    internal static void AddResidualAndNormalizeRows(Span<float> matrix, int n)
    {
        for (int i = 0; i < n; i++)
        {
            var row = matrix.Slice(i * n, n);
            row[i] += 1f;
            float sum = TensorPrimitives.Sum(row);
            TensorPrimitives.Divide(row, sum, row);
        }
    }

    /// <summary>Block <paramref name="block"/>'s attention heads fused into one N×N matrix by <paramref name="fusion"/>.</summary>
    internal static void FuseHeads(ExplanationPass pass, int block, int sample, HeadFusion fusion, Span<float> fused)
    {
        int h = pass.Config.NumHeads;
        var attention = pass.Attention[block];
        pass.HeadMatrix(attention, sample, 0).CopyTo(fused);
        for (int head = 1; head < h; head++)
        {
            var m = pass.HeadMatrix(attention, sample, head);
            switch (fusion)
            {
                case HeadFusion.Mean: TensorPrimitives.Add(fused, m, fused); break;
                case HeadFusion.Max: TensorPrimitives.Max(fused, m, fused); break;
                default: TensorPrimitives.Min(fused, m, fused); break;
            }
        }
        if (fusion == HeadFusion.Mean) TensorPrimitives.Divide(fused, h, fused);
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
