using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// BEiT's relative position bias (Bao et al. 2022, after Raffel et al. 2020 and Swin): a learned table of
/// ((2·Gh − 1)(2·Gw − 1) + 3) × H biases, one per relative offset between two patches of the Gh × Gw grid plus three for
/// class → patch, patch → class and class → class, added to every head's attention logits. The bias of tokens i, j is
/// table[index(i, j), h], with index as timm's <c>gen_relative_position_index</c> (beit.py) builds it. One instance is
/// per block (timm use_rel_pos_bias) or shared by every block (use_shared_rel_pos_bias). The bias is a constant of the
/// pass: the backward gives it no gradient, and relevance treats it as a bias of the logits (<see cref="Attention"/>).
/// </summary>
public sealed class RelativePositionBias
{
    /// <param name="table">((2·Gh − 1)(2·Gw − 1) + 3, H) biases, row-major.</param>
    public RelativePositionBias(string name, float[] table, int gridHeight, int gridWidth, int heads)
    {
        long rows = (2L * gridHeight - 1) * (2L * gridWidth - 1) + 3;
        if (table.LongLength != rows * heads)
            throw new ArgumentException($"{name}: a relative position bias table for a {gridHeight}x{gridWidth} grid and {heads} heads has {rows}x{heads} values, not {table.LongLength}");
        Table = new Parameter(name, new Tensor(table, (int)rows, heads));
        (GridHeight, GridWidth, Heads) = (gridHeight, gridWidth, heads);
    }

    /// <summary>The table, ((2·Gh − 1)(2·Gw − 1) + 3, H).</summary>
    public Parameter Table { get; }

    /// <summary>The patch grid the table was learned for.</summary>
    public int GridHeight { get; }

    /// <summary>The patch grid the table was learned for.</summary>
    public int GridWidth { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    int Tokens => GridHeight * GridWidth + 1;

    /// <summary>
    /// timm's relative position index of tokens i, j of the full sequence (0 the class token, then the patches in
    /// raster order): the relative offset's row for two patches, and the three extra rows for the class token.
    /// </summary>
    public int Index(int i, int j)
    {
        int distances = (2 * GridHeight - 1) * (2 * GridWidth - 1);
        if (i == 0 && j == 0) return distances + 2;
        if (i == 0) return distances;
        if (j == 0) return distances + 1;
        int yi = (i - 1) / GridWidth, xi = (i - 1) % GridWidth, yj = (j - 1) / GridWidth, xj = (j - 1) % GridWidth;
        return (yi - yj + GridHeight - 1) * (2 * GridWidth - 1) + (xi - xj + GridWidth - 1);
    }

    /// <summary>
    /// The bias of a pass over <paramref name="tokens"/> tokens, rented from <paramref name="context"/> (give it back
    /// after use), and the stride between samples: (H, N, N) shared by every sample for the whole sequence (stride 0),
    /// or, for a pass on kept patches (<paramref name="kept"/>, <see cref="ForwardContext.KeptPatches"/>), each sample's
    /// (H, m, m) between the class token and its kept patches. Gathered from the table per pass rather than kept: a
    /// cached (H, N, N) per block would cost BEiT-L at 512 px 1.6 GB.
    /// </summary>
    public (Tensor Bias, long SampleStride) For(PassContext context, IReadOnlyList<int[]>? kept, int batch, int tokens)
    {
        int n = Tokens, h = Heads;
        if (kept == null && tokens != n)
            throw new ArgumentException($"a relative position bias learned for a {GridHeight}x{GridWidth} grid ({n} tokens) cannot run on {tokens} tokens");
        int samples = kept == null ? 1 : batch;
        var bias = context.Rent(samples, h, tokens, tokens);
        var t = Table.Value.Data;
        long square = (long)tokens * tokens;
        for (int s = 0; s < samples; s++)
        {
            // token 0 is the class token, token 1 + k the patch kept[s][k] (every patch when nothing was dropped)
            var list = kept?[s];
            var dst = bias.Data.AsSpan((int)(s * h * square), (int)(h * square));
            for (int i = 0; i < tokens; i++)
            {
                int fi = i == 0 || list == null ? i : 1 + list[i - 1];
                for (int j = 0; j < tokens; j++)
                {
                    int fj = j == 0 || list == null ? j : 1 + list[j - 1];
                    int row = Index(fi, fj) * h;
                    long at = (long)i * tokens + j;
                    for (int head = 0; head < h; head++) dst[(int)(head * square + at)] = t[row + head];
                }
            }
        }
        return (bias, kept == null ? 0 : h * square);
    }
}
