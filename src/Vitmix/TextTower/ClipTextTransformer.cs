using System.Numerics.Tensors;
using Vitmix.Engine;

namespace Vitmix.TextTower;

/// <summary>
/// The forward pass of CLIP's text tower for one tokenised prompt (openai/CLIP <c>clip/model.py</c> <c>encode_text</c>,
/// commit 0845fc4; transformers <c>models/clip/modeling_clip.py</c> <c>CLIPTextTransformer</c> and
/// <c>CLIPTextModelWithProjection</c>, commit 679021a; open_clip <c>src/open_clip/transformer.py</c> <c>TextTransformer</c>,
/// commit 01c3cd5): x = token embedding + position embedding; per block
/// x += attn(ln_1(x)) with a causal mask, x += mlp(ln_2(x)); then ln_final on the read-out token and the projection.
/// </summary>
/// <remarks>
/// Only the positions up to the read-out token are computed: with the causal mask no later position reaches it, so the
/// padding after &lt;|endoftext|&gt; (and its id: 0, or the pad token) cannot change the embedding, and dropping it is
/// exact, not an approximation. Forward only: the text embeddings are constants for the image explainers.
/// </remarks>
internal sealed class ClipTextTransformer(ClipTextConfig config, ClipTextWeights weights)
{
    public ClipTextConfig Config => config;

    /// <summary>
    /// The read-out position of a padded row: the first largest id (<c>argmax</c>, as torch breaks ties) or the first
    /// <paramref name="endOfText"/>; 0 when there is none, as <c>(ids == eos).int().argmax()</c> gives.
    /// </summary>
    public int ReadoutPosition(ReadOnlySpan<int> row, int endOfText)
    {
        if (config.Readout == ClipTextReadout.ArgmaxId) return row.IndexOf(TensorPrimitives.Max<int>(row));
        int at = row.IndexOf(config.EosTokenId ?? endOfText);
        return at < 0 ? 0 : at;
    }

    /// <summary>
    /// The projected (not normalised) embeddings of a batch of tokenised prompts: row r of <paramref name="rows"/>
    /// (each <paramref name="rowLength"/> ids) read out at <paramref name="readouts"/>[r], written to row r of
    /// <paramref name="output"/> (E values each).
    /// </summary>
    /// <remarks>
    /// The prompts' tokens are stacked into one (T, W) matrix, so every linear layer streams its weights once per batch
    /// instead of once per prompt (the cost that dominates at CLIP's sizes); attention runs per prompt and head over
    /// that prompt's own rows.
    /// </remarks>
    public void Embed(ReadOnlySpan<int> rows, int rowLength, ReadOnlySpan<int> readouts, Span<float> output)
    {
        int w = config.Width, heads = config.Heads, hd = w / heads, mlpHidden = config.MlpHidden, count = readouts.Length;
        if (rowLength > config.ContextLength || rows.Length != count * rowLength || output.Length != count * config.ProjectionDim)
            throw new ArgumentException($"{count} rows of {rowLength} ids (context {config.ContextLength}) in {rows.Length} ids, output {output.Length}");
        var start = new int[count + 1];
        for (int r = 0; r < count; r++)
        {
            if (readouts[r] < 0 || readouts[r] >= rowLength)
                throw new ArgumentException($"read-out position {readouts[r]} in a row of {rowLength} ids");
            start[r + 1] = start[r] + readouts[r] + 1;
        }
        int total = start[count];
        var x = new float[total * w];
        for (int r = 0; r < count; r++)
            for (int t = 0; t <= readouts[r]; t++)
            {
                int id = rows[r * rowLength + t];
                if ((uint)id >= (uint)config.VocabSize)
                    throw new ArgumentException($"token id {id} is outside the model's vocabulary of {config.VocabSize}");
                TensorPrimitives.Add(weights.TokenEmbedding.AsSpan(id * w, w), weights.PositionEmbedding.AsSpan(t * w, w),
                    x.AsSpan((start[r] + t) * w, w));
            }
        var h = new float[total * w];
        var qkv = new float[total * 3 * w];
        var context = new float[total * w];
        var scores = new float[rowLength * rowLength];
        var hidden = new float[total * mlpHidden];
        var branch = new float[total * w];
        float eps = (float)config.LayerNormEps, scale = 1f / MathF.Sqrt(hd);
        foreach (var b in weights.Blocks)
        {
            LayerNorm.Forward(x, total, w, b.Norm1Weight, b.Norm1Bias, eps, h);
            Gemm.Linear(h, b.InProjWeight, b.InProjBias, qkv, total, w, 3 * w);
            for (int r = 0; r < count; r++) Attend(qkv.AsSpan(start[r] * 3 * w), context.AsSpan(start[r] * w), start[r + 1] - start[r], scores, scale);
            Gemm.Linear(context, b.OutProjWeight, b.OutProjBias, branch, total, w, w);
            TensorPrimitives.Add(x, branch, x);
            LayerNorm.Forward(x, total, w, b.Norm2Weight, b.Norm2Bias, eps, h);
            Gemm.Linear(h, b.Fc1Weight, b.Fc1Bias, hidden, total, w, mlpHidden);
            Activate(hidden, config.Activation);
            Gemm.Linear(hidden, b.Fc2Weight, b.Fc2Bias, branch, total, mlpHidden, w);
            TensorPrimitives.Add(x, branch, x);
        }
        // ln_final is per token, so normalising only the read-out rows equals normalising all and then picking them.
        var pooled = new float[count * w];
        for (int r = 0; r < count; r++)
            LayerNorm.Forward(x.AsSpan((start[r + 1] - 1) * w, w), 1, w, weights.FinalNormWeight, weights.FinalNormBias, eps, pooled.AsSpan(r * w, w));
        Gemm.Linear(pooled, weights.Projection, weights.ProjectionBias ?? [], output, count, w, config.ProjectionDim);
    }

    /// <summary>Causal multi-head attention over one prompt's <paramref name="n"/> rows of fused q, k, v; context is (n, W).</summary>
    void Attend(Span<float> qkv, Span<float> context, int n, float[] scores, float scale)
    {
        int w = config.Width, heads = config.Heads, hd = w / heads;
        for (int head = 0; head < heads; head++)
        {
            // Heads are interleaved in the features: q, k, v of head h start at h·hd, W + h·hd and 2W + h·hd of each row.
            Gemm.Multiply(false, true, n, n, hd, scale, qkv[(head * hd)..], 3 * w, qkv[(w + head * hd)..], 3 * w, 0f, scores, n);
            for (int i = 0; i < n; i++)
            {
                // The causal mask: row i attends to positions 0..i only (the -inf entries' weights are exactly 0).
                Softmax.Rows(scores.AsSpan(i * n, i + 1), 1, i + 1);
                scores.AsSpan(i * n + i + 1, n - i - 1).Clear();
            }
            Gemm.Multiply(false, false, n, hd, n, 1f, scores, n, qkv[(2 * w + head * hd)..], 3 * w, 0f, context[(head * hd)..], w);
        }
    }

    static void Activate(Span<float> x, ClipTextActivation activation)
    {
        switch (activation)
        {
            case ClipTextActivation.Gelu:
                Gelu.Forward(x, x);
                break;
            case ClipTextActivation.QuickGelu:
                // x·σ(1.702·x), OpenAI's QuickGELU (clip/model.py).
                var s = new float[x.Length];
                TensorPrimitives.Multiply(x, 1.702f, s);
                TensorPrimitives.Sigmoid(s, s);
                TensorPrimitives.Multiply(x, s, x);
                break;
            default:
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), torch's GELU(approximate='tanh').
                const float k = 0.7978845608028654f;
                foreach (ref float v in x)
                    v = 0.5f * v * (1f + MathF.Tanh(k * (v + 0.044715f * v * v * v)));
                break;
        }
    }
}
