using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Model.Relevance;
using Vitmix.Relevance;

namespace Vitmix.Explain;

/// <summary>
/// One forward, at most one backward and at most one relevance pass over a batch, shared by every explainer.
/// The backward and relevance passes step through the model's layers together, last first, and each layer's
/// activations are released as soon as both are done with it, so the peak memory is the forward trace, not three
/// copies of it. Disposing the pass gives its maps' buffers back to the model's arena.
/// </summary>
public sealed class ExplanationPass : IDisposable
{
    PassOutputs? outputs;
    BufferArena? arena;

    /// <summary>The network explained.</summary>
    public required VisionTransformer Model { get; init; }
    /// <summary>Samples in the batch.</summary>
    public required int Batch { get; init; }
    /// <summary>
    /// The normalised batch (B,C,H,W) the pass ran on, the caller's, for methods that run further forwards on changed
    /// copies of an image (TAM's scaled inputs, ViT-CX's masked ones); it must not be written to.
    /// </summary>
    public required Tensor Input { get; init; }
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
    /// <summary>
    /// The readout token weights w (B,N) (<see cref="ReadoutLayer"/>): explainers built on a token×token matrix M
    /// read its readout row wᵀM (<see cref="ReadoutRow"/>); e₀ for a class-token model.
    /// </summary>
    public required float[] ReadoutWeights { get; init; }
    /// <summary>LRP relevance of the input pixels summed over channels (B,H,W), or null.</summary>
    public float[]? PixelRelevance { get; init; }

    /// <summary>The explained network's architecture.</summary>
    public VitConfig Config => Model.Config;

    /// <summary>Runs the passes <paramref name="requirements"/> call for on a normalised batch (B,C,H,W).</summary>
    /// <param name="targets">Class per sample (a negative entry: that sample's predicted class), or null for every sample's predicted class.</param>
    /// <param name="composite">The LRP rules of the relevance pass (default Chefer et al.'s).</param>
    public static ExplanationPass Compute(VisionTransformer model, Tensor batch, PassRequirements requirements, int[]? targets = null,
        LrpComposite? composite = null)
    {
        var c = model.Config;
        bool wantsInputGradient = requirements.HasFlag(PassRequirements.InputGradient);
        bool wantsPixels = requirements.HasFlag(PassRequirements.PixelRelevance);
        bool backward = wantsInputGradient || requirements.HasFlag(PassRequirements.AttentionGradients);
        bool relevance = wantsPixels || requirements.HasFlag(PassRequirements.AttentionRelevance);
        var keep = PassRequirements.Attention | PassRequirements.ReadoutWeights
            | (requirements.HasFlag(PassRequirements.AttentionGradients) ? PassRequirements.AttentionGradients : 0);
        using var trace = model.Run(batch, record: backward || relevance, keep);
        int b = trace.Batch, k = c.NumClasses;
        if (targets != null && targets.Length != b) throw new ArgumentException($"{targets.Length} targets for a batch of {b}");
        var t = Enumerable.Range(0, b).Select(i => targets != null && targets[i] >= 0 ? targets[i] : Probabilities.ArgMax(trace.Logits.AsSpan(i * k, k))).ToArray();
        foreach (var target in t)
            if (target < 0 || target >= k) throw new ArgumentException($"target class {target} is outside the model's {k} classes");

        // The score explained is the target's logit (not its probability): d y_c, and LRP starts from one-hot(c).
        var oneHot = new float[b * k];
        for (int i = 0; i < b; i++) oneHot[i * k + t[i]] = 1f;
        var bw = backward ? new BackwardPass(model, trace) : null;
        var rp = relevance ? new RelevancePass(model, trace, composite, requirements.HasFlag(PassRequirements.AttentionRelevance)) : null;
        var g = bw?.Start(oneHot);
        var r = rp?.Start(oneHot);
        for (int i = model.Layers.Count - 1; i >= 0; i--)
        {
            // The layers before the first block only lead to the input.
            bool embedding = i < model.FirstBlock;
            if (bw != null && (!embedding || wantsInputGradient)) g = bw.Step(model.Layers[i], g!);
            if (rp != null && (!embedding || wantsPixels)) r = rp.Step(model.Layers[i], r!);
            trace.Release(model.Layers[i]);
        }
        var outputs = trace.Outputs;
        var arena = model.Buffers;
        if (wantsInputGradient) outputs.InputGradient = g;
        else if (g != null) arena.Return(g.Data);
        float[]? pixels = null;
        if (wantsPixels)
        {
            pixels = SumChannels(r!, b, c.InChannels, c.ImageHeight * c.ImageWidth);
            arena.Return(r!.Data);
        }
        else if (r != null) arena.Return(r.Data);
        return new ExplanationPass
        {
            Model = model, Batch = b, Input = batch, Logits = trace.Logits, Targets = t,
            Attention = outputs.AttentionProbabilities.Select(a => a!.Data).ToArray(),
            AttentionGradients = outputs.Wants(PassRequirements.AttentionGradients) ? outputs.AttentionGradients.Select(a => a?.Data).ToArray() : null,
            InputGradient = outputs.InputGradient?.Data,
            AttentionRelevance = outputs.Wants(PassRequirements.AttentionRelevance) ? outputs.AttentionRelevance.Select(a => a?.Data).ToArray() : null,
            PixelRelevance = pixels,
            ReadoutWeights = outputs.ReadoutWeights?.Data ?? throw new InvalidOperationException("the model's readout layer gave no readout token weights"),
            outputs = outputs, arena = arena,
        };
    }

    /// <summary>(B, C, H·W) → (B, H·W): channel 0, then each further channel added in order.</summary>
    static float[] SumChannels(Tensor input, int batch, int channels, int plane)
    {
        var pixels = new float[batch * plane];
        for (int i = 0; i < batch; i++)
        {
            var dst = pixels.AsSpan(i * plane, plane);
            input.Data.AsSpan(i * channels * plane, plane).CopyTo(dst);
            for (int ch = 1; ch < channels; ch++)
                System.Numerics.Tensors.TensorPrimitives.Add(dst, input.Data.AsSpan((i * channels + ch) * plane, plane), dst);
        }
        return pixels;
    }

    /// <summary>Gives the maps' buffers back to the model's arena; the arrays of this pass must not be read afterwards.</summary>
    public void Dispose()
    {
        if (outputs != null && arena != null) outputs.Release(arena);
        outputs = null;
    }

    /// <summary>A block's (N,N) matrix of head <paramref name="head"/> for sample <paramref name="sample"/>.</summary>
    internal ReadOnlySpan<float> HeadMatrix(float[] perBlock, int sample, int head)
    {
        int n = Config.NumTokens, h = Config.NumHeads;
        return perBlock.AsSpan((sample * h + head) * n * n, n * n);
    }

    /// <summary>Sample <paramref name="sample"/>'s readout token weights w (N).</summary>
    public ReadOnlySpan<float> ReadoutWeightsOf(int sample)
    {
        int n = Config.NumTokens;
        return ReadoutWeights.AsSpan(sample * n, n);
    }

    /// <summary>
    /// The readout row wᵀM of an (N,N) matrix for sample <paramref name="sample"/>, into <paramref name="row"/> (N):
    /// row 0 for the class token, the mean of the patch rows for a patch-mean readout.
    /// </summary>
    public void ReadoutRow(ReadOnlySpan<float> matrix, int sample, Span<float> row) =>
        WeightedRows(ReadoutWeightsOf(sample), matrix, row);

    /// <summary>
    /// row = Σ_i w_i·M[i, :] over the nonzero weights, in token order. The first term is w_i·M[i, :] itself, so a
    /// one-hot weight of 1 copies its row exactly (a class-token model's maps are what they were before readouts).
    /// </summary>
    internal static void WeightedRows(ReadOnlySpan<float> w, ReadOnlySpan<float> matrix, Span<float> row)
    {
        int n = w.Length;
        bool first = true;
        for (int i = 0; i < n; i++)
        {
            float wi = w[i];
            if (wi == 0f) continue;
            var source = matrix.Slice(i * n, n);
            if (first)
            {
                if (wi == 1f) source.CopyTo(row);
                else System.Numerics.Tensors.TensorPrimitives.Multiply(source, wi, row);
                first = false;
            }
            else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(source, wi, row, row);
        }
        if (first) row[..n].Clear();
    }

    /// <summary>The readout row (<see cref="ReadoutRow"/>) of an (N,N) matrix, patch columns only (prefix tokens never appear), as a grid map.</summary>
    internal Heatmap ReadoutRowToGrid(ReadOnlySpan<float> matrix, int sample)
    {
        var c = Config;
        var row = new float[c.NumTokens];
        ReadoutRow(matrix, sample, row);
        return new Heatmap(row.AsSpan(c.NumPrefixTokens, c.NumPatches).ToArray(), c.GridHeight, c.GridWidth);
    }
}
