using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>
/// Multihead attention pooling (MAP, Lee et al. 2019's pooling by multihead attention; Zhai et al. 2022 for ViTs), the
/// readout of SigLIP: a learned probe (latent) queries all tokens, y = proj(softmax(q·kᵀ/√d)·v) with q = q(latent),
/// k and v = kv(x), then y + mlp(norm(y)). timm's AttentionPoolLatent (timm/layers/attention_pool.py, latent_len 1,
/// pool 'token'), transformers' SiglipMultiheadAttentionPoolingHead. (B, N, D) tokens → (B, 1, D) readout row.
/// </summary>
/// <remarks>
/// The probe's head-averaged attention over the tokens is what this readout reads from each token
/// (<see cref="ReadoutWeights"/>): the row explainers use in place of the class token's.
/// Relevance: the pool's probabilities are taken as constants of the sample (the gating view of attention in CP-LRP,
/// Ali et al. 2022, and Chefer et al. 2021's treatment of the attention map), so relevance reaches the tokens through the
/// values alone, by the ε-rule of the sum over tokens, then through kv by the composite's rule for projections of
/// q, k, v. The MLP residual after the attention uses the composite's residual, LayerNorm and MLP rules.
/// </remarks>
public sealed class AttentionPool : ReadoutLayer
{
    sealed record Record(Tensor Tokens, Tensor LatentRows, Tensor Query, Tensor KeysValues, Tensor Probabilities, Tensor Attended, Tensor Pooled);

    /// <summary>The ε of the value rule's denominator.</summary>
    const float Epsilon = 1e-6f;

    /// <param name="name">State-dict prefix (<c>attn_pool</c>).</param>
    /// <param name="latent">(D) the probe.</param>
    /// <param name="query">q: D → D, applied to the probe.</param>
    /// <param name="keysValues">kv: D → 2D, rows k then v.</param>
    /// <param name="projection">proj: D → D.</param>
    /// <param name="mlpResidual">y + mlp(norm(y)).</param>
    /// <param name="heads">Number of heads; divides D.</param>
    public AttentionPool(string name, float[] latent, Linear query, Linear keysValues, Linear projection, Residual mlpResidual, int heads) : base(name)
    {
        int d = projection.InFeatures;
        if (latent.Length != d || query.InFeatures != d || query.OutFeatures != d || keysValues.InFeatures != d || keysValues.OutFeatures != 2 * d
            || heads <= 0 || d % heads != 0)
            throw new ArgumentException($"{name}: latent {latent.Length}, q {query.InFeatures}→{query.OutFeatures}, kv {keysValues.InFeatures}→{keysValues.OutFeatures}, {heads} heads do not fit width {d}");
        Latent = new Parameter(name + ".latent", new Tensor(latent, 1, 1, d));
        (Query, KeysValues, Projection, MlpResidual, Heads) = (query, keysValues, projection, mlpResidual, heads);
    }

    /// <summary>The probe.</summary>
    public Parameter Latent { get; }

    /// <summary>q, applied to the probe.</summary>
    public Linear Query { get; }

    /// <summary>kv, applied to the tokens: k rows, then v rows.</summary>
    public Linear KeysValues { get; }

    /// <summary>The output projection.</summary>
    public Linear Projection { get; }

    /// <summary>y + mlp(norm(y)).</summary>
    public Residual MlpResidual { get; }

    /// <summary>Number of heads.</summary>
    public int Heads { get; }

    int Dim => Projection.InFeatures;
    int HeadDim => Dim / Heads;

    /// <inheritdoc/>
    public override string Kind => "attention-pool readout";

    /// <inheritdoc/>
    public override string Description => "attention pool (a probe attends over all tokens)";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => [Query, KeysValues, Projection, MlpResidual];

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => [Latent];

    /// <summary>
    /// The readout's weights over the tokens of the recorded pass <paramref name="context"/>: per sample, the probe's
    /// attention probabilities averaged over heads, (B, N), each row summing to 1. A new tensor.
    /// </summary>
    public Tensor ReadoutWeights(ForwardContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Tokens.Dim(0), n = r.Tokens.Dim(1);
        var weights = new Tensor(new float[b * n], b, n);
        for (int i = 0; i < b; i++)
            for (int h = 0; h < Heads; h++)
                System.Numerics.Tensors.TensorPrimitives.Add(weights.Data.AsSpan(i * n, n), r.Probabilities.Data.AsSpan((i * Heads + h) * n, n), weights.Data.AsSpan(i * n, n));
        System.Numerics.Tensors.TensorPrimitives.Multiply(weights.Data, 1f / Heads, weights.Data);
        return weights;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        int b = input.Dim(0), n = input.Dim(1), d = Dim, hd = HeadDim;
        if (input.Dim(2) != d) throw new ArgumentException($"{Name}: tokens {input} are not {d} wide");
        if (context.Packed is { } packed) return ForwardPacked(input, packed, context);
        var ops = context.Backend;
        var latentRows = context.Rent(b, 1, d);
        for (int i = 0; i < b; i++) ops.Copy(Latent.Value, 0, latentRows, (long)i * d, d);
        var q = Query.Forward(latentRows, context);
        var kv = KeysValues.Forward(input, context);
        var probabilities = context.Rent(b, Heads, n);
        var attended = context.Rent(b, 1, d);
        float scale = 1f / MathF.Sqrt(hd);
        for (int i = 0; i < b; i++)
            for (int h = 0; h < Heads; h++)
                ops.MatMul(false, true, 1, n, hd, scale, q, (long)i * d + h * hd, d, kv, (long)i * n * 2 * d + h * hd, 2 * d,
                    0f, probabilities, ((long)i * Heads + h) * n, n);
        ops.SoftmaxRows(probabilities, b * Heads, n);
        // the readout token weights explainers read rows with: the probe's attention averaged over heads
        if (KeepTokenWeights(context, b, n) is { } w)
            for (int i = 0; i < b; i++)
            {
                var row = w.Data.AsSpan(i * n, n);
                for (int h = 0; h < Heads; h++)
                    System.Numerics.Tensors.TensorPrimitives.Add(row, probabilities.Data.AsSpan((i * Heads + h) * n, n), row);
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / Heads, row);
            }
        for (int i = 0; i < b; i++)
            for (int h = 0; h < Heads; h++)
                ops.MatMul(false, false, 1, hd, n, 1f, probabilities, ((long)i * Heads + h) * n, n, kv, (long)i * n * 2 * d + d + h * hd, 2 * d,
                    0f, attended, (long)i * d + h * hd, d);
        var pooled = Projection.Forward(attended, context);
        var y = MlpResidual.Forward(pooled, context);
        if (context.Recording) context.Save(this, new Record(input, latentRows, q, kv, probabilities, attended, pooled));
        else
            foreach (var t in new[] { latentRows, q, kv, probabilities, attended, pooled }) context.Return(t);
        return y;
    }

    /// <summary>(1, T, D) packed sequences → (S, 1, D): the probe attends to each sequence's own rows (inference only).</summary>
    Tensor ForwardPacked(Tensor input, PackedSequences packed, ForwardContext context)
    {
        int sequences = packed.Count, d = Dim, hd = HeadDim, longest = 0;
        for (int i = 0; i < sequences; i++) longest = Math.Max(longest, packed.Length(i));
        var ops = context.Backend;
        var latentRows = context.Rent(sequences, 1, d);
        for (int i = 0; i < sequences; i++) ops.Copy(Latent.Value, 0, latentRows, (long)i * d, d);
        var q = Query.Forward(latentRows, context);
        var kv = KeysValues.Forward(input, context);
        var probabilities = context.Rent(longest);
        var attended = context.Rent(sequences, 1, d);
        float scale = 1f / MathF.Sqrt(hd);
        for (int i = 0; i < sequences; i++)
        {
            int n = packed.Length(i);
            long first = (long)packed.Start(i) * 2 * d;
            for (int h = 0; h < Heads; h++)
            {
                // the same products and softmax as the batched pass, over this sequence's rows
                ops.MatMul(false, true, 1, n, hd, scale, q, (long)i * d + h * hd, d, kv, first + h * hd, 2 * d, 0f, probabilities, 0, n);
                Softmax.Rows(probabilities.Data.AsSpan(0, n), 1, n);
                ops.MatMul(false, false, 1, hd, n, 1f, probabilities, 0, n, kv, first + d + h * hd, 2 * d, 0f, attended, (long)i * d + h * hd, d);
            }
        }
        var pooled = Projection.Forward(attended, context);
        var y = MlpResidual.Forward(pooled, context);
        foreach (var t in new[] { latentRows, q, kv, probabilities, attended, pooled }) context.Return(t);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Tokens.Dim(0), n = r.Tokens.Dim(1), d = Dim, hd = HeadDim;
        var ops = context.Backend;
        var dPooled = MlpResidual.Backward(outputGradient, context);
        var dAttended = Projection.Backward(dPooled, context);
        context.Return(dPooled);
        var dKv = context.Rent(b, n, 2 * d);
        var dQ = context.Rent(b, 1, d);
        var dScores = context.Rent(b, Heads, n);
        for (int i = 0; i < b; i++)
            for (int h = 0; h < Heads; h++)
            {
                long p = ((long)i * Heads + h) * n, kOffset = (long)i * n * 2 * d + h * hd, vOffset = kOffset + d, row = (long)i * d + h * hd;
                // dP = dAttended_h · v_hᵀ; dV_h = Pᵀ · dAttended_h
                ops.MatMul(false, true, 1, n, hd, 1f, dAttended, row, d, r.KeysValues, vOffset, 2 * d, 0f, dScores, p, n);
                ops.MatMul(true, false, n, hd, 1, 1f, r.Probabilities, p, n, dAttended, row, d, 0f, dKv, vOffset, 2 * d);
            }
        context.Return(dAttended);
        ops.SoftmaxRowsBackward(r.Probabilities, dScores, dScores, b * Heads, n);
        float scale = 1f / MathF.Sqrt(hd);
        for (int i = 0; i < b; i++)
            for (int h = 0; h < Heads; h++)
            {
                long p = ((long)i * Heads + h) * n, kOffset = (long)i * n * 2 * d + h * hd, row = (long)i * d + h * hd;
                // S = q·kᵀ/√d: dq_h = dS·k_h/√d, dk_h = dSᵀ·q_h/√d
                ops.MatMul(false, false, 1, hd, n, scale, dScores, p, n, r.KeysValues, kOffset, 2 * d, 0f, dQ, row, d);
                ops.MatMul(true, false, n, hd, 1, scale, dScores, p, n, r.Query, row, d, 0f, dKv, kOffset, 2 * d);
            }
        context.Return(dScores);
        var dLatentRows = Query.Backward(dQ, context);
        context.Return(dQ);
        if (context.GradientOf(Latent) is { } dLatent)
            for (int i = 0; i < b; i++) ops.AddAt(dLatent, 0, dLatentRows, (long)i * d, d);
        context.Return(dLatentRows);
        var dx = KeysValues.Backward(dKv, context);
        context.Return(dKv);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Tokens.Dim(0), n = r.Tokens.Dim(1), d = Dim, hd = HeadDim;
        var rPooled = MlpResidual.Relevance(outputRelevance, context);
        var rAttended = Projection.Relevance(rPooled, context);
        context.Return(rPooled);
        var rKv = context.Rent(b, n, 2 * d);
        context.Backend.Clear(rKv);
        var ratio = context.Rent(d);
        var kv = r.KeysValues.Data;
        for (int i = 0; i < b; i++)
        {
            // attended[c] = Σ_t p[h(c), t]·v[t, c]: token t receives p·v[t, c] / (attended[c] ± ε) of R[c]
            for (int c = 0; c < d; c++)
            {
                float z = r.Attended.Data[i * d + c];
                ratio.Data[c] = rAttended.Data[i * d + c] / (z + (z >= 0 ? Epsilon : -Epsilon));
            }
            for (int t = 0; t < n; t++)
            {
                long v = ((long)i * n + t) * 2 * d + d;
                for (int h = 0; h < Heads; h++)
                {
                    float p = r.Probabilities.Data[((long)i * Heads + h) * n + t];
                    for (int j = h * hd; j < (h + 1) * hd; j++) rKv.Data[v + j] = p * kv[v + j] * ratio.Data[j];
                }
            }
        }
        context.Return(ratio);
        context.Return(rAttended);
        var rx = KeysValues.Relevance(rKv, context);
        context.Return(rKv);
        return rx;
    }
}
