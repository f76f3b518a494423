using Vitmix.Engine;

namespace Vitmix.Model;

/// <summary>
/// What every subset of an image's tokens has in common, computed once for all of them
/// (<see cref="VisionTransformer.EmbedForSubsets"/>): the embedded sequence (patch embedding, prefix tokens, position
/// embedding), and the first block's q, k and v of every token. Up to the first attention a ViT works on each token
/// alone (LayerNorm, then a linear map), so a kept token's q, k, v in any subset are the rows of the whole sequence's;
/// the token curves and Transformer Input Sampling, which run hundreds of subsets of one image, gather those rows
/// instead of projecting them again.
/// </summary>
public sealed class EmbeddedTokens
{
    /// <param name="tokens">The embedded sequences (S, N, D).</param>
    /// <param name="firstQkv">The first block's projection (S, N, 3D) of their norm1 outputs before any rotary embedding,
    /// or null to project each subset itself.</param>
    public EmbeddedTokens(Tensor tokens, Tensor? firstQkv)
    {
        if (tokens.Rank != 3) throw new ArgumentException($"embedded tokens are {tokens}, expected [S, N, D]");
        if (firstQkv != null && (firstQkv.Rank != 3 || firstQkv.Dim(0) != tokens.Dim(0) || firstQkv.Dim(1) != tokens.Dim(1) || firstQkv.Dim(2) != 3 * tokens.Dim(2)))
            throw new ArgumentException($"first-block q, k, v {firstQkv} do not fit embedded tokens {tokens}");
        (Tokens, FirstQkv) = (tokens, firstQkv);
    }

    /// <summary>The embedded sequences (S, N, D).</summary>
    public Tensor Tokens { get; }

    /// <summary>The first block's q, k, v of every token (S, N, 3D), or null.</summary>
    public Tensor? FirstQkv { get; }
}
