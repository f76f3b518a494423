using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// EVA-02's 2-D rotary position embedding (Su et al. 2021, RoFormer; Fang et al. 2023, EVA-02), as timm's
/// RotaryEmbeddingCat with in_pixels=False builds it (timm/layers/pos_embed_sincos.py): for a head width d, d/4
/// frequencies 1/10000^(i/(d/4)); patch (row, col) of the grid has the d/2 angles [row·f, col·f], row and col scaled by
/// reference grid / grid (timm ref_feat_shape); features 2j and 2j+1 of q and k are rotated together by angle j
/// (apply_rot_embed_cat's pairing: (x0, x1) → (x0·cos − x1·sin, x1·cos + x0·sin)). Every token after the prefix is
/// rotated, each by its own patch's place; the class token is not (EvaAttention rotates q[:, :, 1:] and k[:, :, 1:]).
/// The rotation is a fixed linear map of q and k: the backward applies its transpose, the rotation by −angle, and
/// relevance passes through it by LRP-0, as through a linear map without bias.
/// </summary>
public sealed class RotaryPositionEmbedding
{
    readonly float[] sin, cos;   // (patches, d/2)

    /// <param name="headDim">Width of one head; divisible by 4.</param>
    /// <param name="gridHeight">Patch rows of the input.</param>
    /// <param name="gridWidth">Patch columns of the input.</param>
    /// <param name="referenceHeight">The grid the model was trained on (timm ref_feat_shape), or 0 for no scaling.</param>
    /// <param name="referenceWidth">See <paramref name="referenceHeight"/>.</param>
    /// <param name="prefixTokens">Tokens before the patches, left unrotated.</param>
    public RotaryPositionEmbedding(int headDim, int gridHeight, int gridWidth, int referenceHeight, int referenceWidth, int prefixTokens)
    {
        if (headDim <= 0 || headDim % 4 != 0) throw new ArgumentException($"a 2-D rotary embedding needs a head width divisible by 4, not {headDim}");
        (HeadDim, GridHeight, GridWidth, PrefixTokens) = (headDim, gridHeight, gridWidth, prefixTokens);
        int bands = headDim / 4, half = headDim / 2;
        var frequency = new float[bands];
        // float32 as torch computes them: exponent arange(bands) / bands, then 10000 ** exponent
        for (int i = 0; i < bands; i++) frequency[i] = 1f / MathF.Pow(10000f, (float)i / bands);
        sin = new float[checked(gridHeight * gridWidth * half)];
        cos = new float[sin.Length];
        for (int y = 0; y < gridHeight; y++)
        {
            float ty = referenceHeight > 0 ? y / (float)gridHeight * referenceHeight : y;
            for (int x = 0; x < gridWidth; x++)
            {
                float tx = referenceWidth > 0 ? x / (float)gridWidth * referenceWidth : x;
                int row = (y * gridWidth + x) * half;
                for (int i = 0; i < bands; i++)
                {
                    float a = ty * frequency[i], b = tx * frequency[i];
                    (sin[row + i], cos[row + i]) = ((float)Math.Sin(a), (float)Math.Cos(a));
                    (sin[row + bands + i], cos[row + bands + i]) = ((float)Math.Sin(b), (float)Math.Cos(b));
                }
            }
        }
    }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Patch rows.</summary>
    public int GridHeight { get; }

    /// <summary>Patch columns.</summary>
    public int GridWidth { get; }

    /// <summary>Unrotated tokens before the patches.</summary>
    public int PrefixTokens { get; }

    /// <summary>
    /// Rotates, in place, q and k of a fused (B, N, 3·D) qkv tensor (by −angle when <paramref name="inverse"/>: the
    /// gradient's transpose). Token p + t of sample s sits at patch <paramref name="kept"/>[s][t] for a pass on kept
    /// patches (<see cref="ForwardContext.KeptPatches"/>), at patch t otherwise.
    /// </summary>
    public void Rotate(Tensor qkv, IReadOnlyList<int[]>? kept, int batch, int tokens, int heads, bool inverse)
    {
        int d = heads * HeadDim, half = HeadDim / 2;
        var data = qkv.Data;
        for (int s = 0; s < batch; s++)
        {
            for (int t = PrefixTokens; t < tokens; t++)
            {
                int patch = Patch(kept, s, t);
                long token = ((long)s * tokens + t) * 3 * d;
                for (int part = 0; part < 2; part++)
                    for (int h = 0; h < heads; h++)
                    {
                        var x = data.AsSpan((int)(token + part * d + h * HeadDim), HeadDim);
                        var sn = sin.AsSpan(patch * half, half);
                        var cs = cos.AsSpan(patch * half, half);
                        for (int j = 0; j < half; j++)
                        {
                            float a = x[2 * j], b = x[2 * j + 1], c = cs[j], si = inverse ? -sn[j] : sn[j];
                            x[2 * j] = a * c - b * si;
                            x[2 * j + 1] = b * c + a * si;
                        }
                    }
            }
        }
    }

    /// <summary>
    /// LRP-0 through the rotation: from the relevance of the rotated q and k (parts 0 and 1 of <paramref name="relevance"/>,
    /// in place) to that of the unrotated ones, with <paramref name="rotated"/> the forward pass's rotated qkv. Each
    /// pair (x0, x1) → (y0, y1) is a 2×2 linear map without bias: x0 gets x0·(cos·R0/y0 + sin·R1/y1), x1 gets
    /// x1·(−sin·R0/y0 + cos·R1/y1), which together hold R0 + R1 (a zero output passes nothing).
    /// </summary>
    public void Relevance(Tensor rotated, Tensor relevance, IReadOnlyList<int[]>? kept, int batch, int tokens, int heads)
    {
        int d = heads * HeadDim, half = HeadDim / 2;
        for (int s = 0; s < batch; s++)
        {
            for (int t = PrefixTokens; t < tokens; t++)
            {
                int patch = Patch(kept, s, t);
                long token = ((long)s * tokens + t) * 3 * d;
                for (int part = 0; part < 2; part++)
                    for (int h = 0; h < heads; h++)
                    {
                        int at = (int)(token + part * d + h * HeadDim);
                        var y = rotated.Data.AsSpan(at, HeadDim);
                        var r = relevance.Data.AsSpan(at, HeadDim);
                        var sn = sin.AsSpan(patch * half, half);
                        var cs = cos.AsSpan(patch * half, half);
                        for (int j = 0; j < half; j++)
                        {
                            float y0 = y[2 * j], y1 = y[2 * j + 1], c = cs[j], si = sn[j];
                            float x0 = y0 * c + y1 * si, x1 = y1 * c - y0 * si;   // the inverse rotation
                            float s0 = y0 == 0 ? 0 : r[2 * j] / y0, s1 = y1 == 0 ? 0 : r[2 * j + 1] / y1;
                            r[2 * j] = x0 * (c * s0 + si * s1);
                            r[2 * j + 1] = x1 * (c * s1 - si * s0);
                        }
                    }
            }
        }
    }

    int Patch(IReadOnlyList<int[]>? kept, int sample, int token)
    {
        int patch = kept == null ? token - PrefixTokens : kept[sample][token - PrefixTokens];
        if ((uint)patch >= (uint)(GridHeight * GridWidth))
            throw new ArgumentException($"token {token} of sample {sample} is patch {patch}, outside the rotary embedding's {GridHeight}x{GridWidth} grid");
        return patch;
    }
}
