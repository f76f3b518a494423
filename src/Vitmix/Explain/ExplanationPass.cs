using Vitmix.Model;
using Vitmix.Model.Relevance;

namespace Vitmix.Explain;

/// <summary>
/// One forward, at most one backward and at most one relevance pass over a batch, shared by every explainer.
/// The backward and relevance passes run block by block, interleaved, and each block's activations are released
/// as soon as both are done with it, so the peak memory is the forward trace, not three copies of it.
/// </summary>
public sealed class ExplanationPass
{
    public required VisionTransformer Model { get; init; }
    public required int Batch { get; init; }
    /// <summary>(B, K) logits of the plain forward pass.</summary>
    public required float[] Logits { get; init; }
    /// <summary>The class explained per sample.</summary>
    public required int[] Targets { get; init; }
    /// <summary>Attention probabilities per block, (B,H,N,N).</summary>
    public required float[][] Attention { get; init; }
    /// <summary>d y_target / d A per block (B,H,N,N), or null when not requested.</summary>
    public float[]?[]? AttentionGradients { get; init; }
    /// <summary>d y_target / d input (B,C,H,W), or null.</summary>
    public float[]? InputGradient { get; init; }
    /// <summary>LRP relevance of the attention probabilities per block (B,H,N,N), or null.</summary>
    public float[]?[]? AttentionRelevance { get; init; }
    /// <summary>LRP relevance of the input pixels summed over channels (B,H,W), or null.</summary>
    public float[]? PixelRelevance { get; init; }

    public VitConfig Config => Model.Config;

    /// <summary>Runs the passes <paramref name="requirements"/> call for on a normalised batch (B,C,H,W).</summary>
    /// <param name="targets">Class per sample (a negative entry: that sample's predicted class), or null for every sample's predicted class.</param>
    public static ExplanationPass Compute(VisionTransformer model, Tensor batch, PassRequirements requirements, int[]? targets = null)
    {
        var c = model.Config;
        var trace = model.Run(batch, record: true);
        int b = trace.Batch, k = c.NumClasses;
        if (targets != null && targets.Length != b) throw new ArgumentException($"{targets.Length} targets for a batch of {b}");
        var t = Enumerable.Range(0, b).Select(i => targets != null && targets[i] >= 0 ? targets[i] : ArgMax(trace.Logits.AsSpan(i * k, k))).ToArray();
        foreach (var target in t)
            if (target < 0 || target >= k) throw new ArgumentException($"target class {target} is outside the model's {k} classes");

        var attention = trace.Blocks.Select(x => x!.Attention).ToArray();
        bool backward = (requirements & (PassRequirements.AttentionGradients | PassRequirements.InputGradient)) != 0;
        bool relevance = (requirements & (PassRequirements.AttentionRelevance | PassRequirements.PixelRelevance)) != 0;
        // The score explained is the target's logit (not its probability): d y_c, and LRP starts from one-hot(c).
        var oneHot = new float[b * k];
        for (int i = 0; i < b; i++) oneHot[i * k + t[i]] = 1f;

        var bw = backward ? new BackwardPass(model, trace) { RecordAttentionGradients = (requirements & PassRequirements.AttentionGradients) != 0 } : null;
        var rp = relevance ? new RelevancePass(model, trace) : null;
        var g = bw?.Head(oneHot);
        var r = rp?.Head(oneHot);
        bool needInput = (requirements & PassRequirements.InputGradient) != 0;
        for (int l = c.Depth - 1; l >= 0; l--)
        {
            if (bw != null) g = bw.BackwardBlock(l, g!);
            if (rp != null) r = rp.RelevanceBlock(l, r!);
            trace.Blocks[l] = null; // attention probabilities stay referenced in `attention`
        }
        float[]? inputGradient = needInput ? bw!.Embedding(g!) : null;
        float[]? pixels = (requirements & PassRequirements.PixelRelevance) != 0 ? rp!.Pixels(r!) : null;
        return new ExplanationPass
        {
            Model = model, Batch = b, Logits = trace.Logits, Targets = t, Attention = attention,
            AttentionGradients = bw?.AttentionGradients, InputGradient = inputGradient,
            AttentionRelevance = rp?.AttentionRelevance, PixelRelevance = pixels,
        };
    }

    static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /// <summary>A block's (N,N) matrix of head <paramref name="head"/> for sample <paramref name="sample"/>.</summary>
    internal ReadOnlySpan<float> HeadMatrix(float[] perBlock, int sample, int head)
    {
        int n = Config.NumTokens, h = Config.NumHeads;
        return perBlock.AsSpan((sample * h + head) * n * n, n * n);
    }

    /// <summary>Row 0 (the class token's query row), patch columns, of an (N,N) matrix, as a grid map.</summary>
    internal Heatmap ClassRowToGrid(ReadOnlySpan<float> matrix)
    {
        var c = Config;
        var values = matrix.Slice(c.NumPrefixTokens, c.NumPatches).ToArray();
        return new Heatmap(values, c.GridHeight, c.GridWidth);
    }
}
