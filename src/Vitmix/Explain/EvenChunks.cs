namespace Vitmix.Explain;

/// <summary>
/// Splits n items (scaled inputs, path points, noisy copies) into the fewest batches of at most a given size, the
/// batches as even as possible (50 at most 16: 13, 13, 12, 12 rather than 16, 16, 16, 2), so that no batch is a
/// small remainder that runs the kernels at a size they are slow at.
/// </summary>
public static class EvenChunks
{
    /// <summary>(first item, count) of each batch, in order.</summary>
    public static IEnumerable<(int First, int Count)> Of(int total, int maxPerChunk)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), "a negative number of items");
        if (maxPerChunk < 1) throw new ArgumentOutOfRangeException(nameof(maxPerChunk), "a chunk holds at least one item");
        int chunks = (total + maxPerChunk - 1) / maxPerChunk;
        for (int chunk = 0, first = 0; chunk < chunks; chunk++)
        {
            int count = (total - first + (chunks - chunk) - 1) / (chunks - chunk);
            yield return (first, count);
            first += count;
        }
    }
}
