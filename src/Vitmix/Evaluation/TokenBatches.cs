namespace Vitmix.Evaluation;

/// <summary>
/// Packs sequences of different lengths into batches of one common token count, so that a packed pass rents buffers of
/// one size for all of them. The sequences go longest first to the batch holding fewest tokens so far (Graham's LPT
/// rule: the batches end within one sequence of each other), and each batch is topped up to the largest with filler
/// sequences whose outputs are not read; the filler is a few tokens per batch.
/// </summary>
public static class TokenBatches
{
    /// <summary>
    /// The batches for sequences of <paramref name="lengths"/> tokens: each a list of indices into
    /// <paramref name="lengths"/>, and fillers as negative numbers −n for a sequence of n tokens. Every batch sums to the
    /// same count, except when <paramref name="longest"/> is under twice <paramref name="shortest"/>: then no filler can
    /// be cut and each sequence is a batch of its own.
    /// </summary>
    /// <param name="lengths">Tokens of each sequence; each within [<paramref name="shortest"/>, <paramref name="longest"/>].</param>
    /// <param name="budget">About how many tokens a batch holds: the number of batches is the total over this, rounded up.</param>
    /// <param name="longest">The longest sequence the model takes (the prefix and every patch): a filler is cut into pieces of at most this.</param>
    /// <param name="shortest">The shortest sequence the model takes (its readout needs the prefix, or a patch to average): no filler is shorter.</param>
    public static IReadOnlyList<IReadOnlyList<int>> Plan(IReadOnlyList<int> lengths, long budget, int longest, int shortest)
    {
        if (budget <= 0) throw new ArgumentOutOfRangeException(nameof(budget), $"a batch budget of {budget} tokens");
        shortest = Math.Max(1, shortest);
        if (longest < shortest) throw new ArgumentException($"the shortest sequence, {shortest} tokens, is longer than the longest, {longest}");
        if (lengths.Count == 0) return [];
        long total = 0;
        foreach (int n in lengths)
        {
            if (n < shortest || n > longest) throw new ArgumentOutOfRangeException(nameof(lengths), $"a sequence of {n} tokens (expected {shortest} to {longest})");
            total += n;
        }
        // Lengths this close (a model of one or two patches) leave no room to cut fillers: each sequence is then a batch.
        if (longest < 2 * shortest) return Enumerable.Range(0, lengths.Count).Select(i => (IReadOnlyList<int>)[i]).ToArray();
        int count = (int)Math.Min(lengths.Count, (total + budget - 1) / budget);
        var batches = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        var load = new long[count];
        foreach (int i in Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i))
        {
            int lightest = 0;
            for (int b = 1; b < count; b++) if (load[b] < load[lightest]) lightest = b;
            batches[lightest].Add(i);
            load[lightest] += lengths[i];
        }
        long size = load.Max();
        // A gap shorter than the shortest sequence cannot be filled: then every batch gets at least that much more.
        if (load.Any(l => l < size && size - l < shortest)) size += shortest;
        for (int b = 0; b < count; b++)
        {
            long gap = size - load[b];
            while (gap > 0)
            {
                long piece = Math.Min(gap, longest);
                if (gap - piece is > 0 and var rest && rest < shortest) piece = gap - shortest;
                batches[b].Add(-(int)piece);
                gap -= piece;
            }
        }
        return batches;
    }
}
