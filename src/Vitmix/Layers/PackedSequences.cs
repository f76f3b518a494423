namespace Vitmix.Layers;

/// <summary>
/// Token sequences of different lengths packed one after another in a single (1, T, D) tensor, without padding. Every
/// layer that works row by row (linear maps, LayerNorm, the MLP, residuals, LayerScale) needs nothing more; attention
/// keeps each sequence to itself and the readout reads each sequence's own rows. The token curves run the many lengths
/// of a curve this way, so a batch costs the tokens it holds and no padding (varlen attention, as FlashAttention's
/// packed batches do).
/// </summary>
public sealed class PackedSequences
{
    readonly int[] offsets;

    /// <param name="lengths">Each sequence's token count, in order; every one positive.</param>
    public PackedSequences(IReadOnlyList<int> lengths)
    {
        if (lengths.Count == 0) throw new ArgumentException("no sequence to pack");
        offsets = new int[lengths.Count + 1];
        for (int i = 0; i < lengths.Count; i++)
        {
            if (lengths[i] <= 0) throw new ArgumentException($"packed sequence {i} has {lengths[i]} tokens");
            offsets[i + 1] = checked(offsets[i] + lengths[i]);
        }
    }

    /// <summary>Number of sequences.</summary>
    public int Count => offsets.Length - 1;

    /// <summary>Tokens in all sequences together: the packed tensor's rows.</summary>
    public int TotalTokens => offsets[^1];

    /// <summary>First row of sequence <paramref name="i"/>.</summary>
    public int Start(int i) => offsets[i];

    /// <summary>Tokens of sequence <paramref name="i"/>.</summary>
    public int Length(int i) => offsets[i + 1] - offsets[i];

    /// <summary>The Count + 1 row offsets, starting at 0, as the packed attention kernel reads them.</summary>
    internal int[] Offsets => offsets;
}
