namespace Vitmix.Evaluation.Sanity;

/// <summary>
/// The share of one map's k highest values that are also among another's k highest: 1 when randomisation left the
/// most relevant region in place, about k/n for unrelated maps. Ties are broken by position, so the sets have exactly k
/// elements.
/// </summary>
public static class TopKOverlap
{
    /// <summary>k for <paramref name="fraction"/> of <paramref name="count"/> values: ⌈fraction·count⌉, at least 1.</summary>
    public static int K(double fraction, int count) => Math.Clamp((int)Math.Ceiling(fraction * count - 1e-9), 1, count);

    /// <summary>|top-k(a) ∩ top-k(b)| / k.</summary>
    public static double Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int k)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} vs {b.Length} values");
        if (k < 1 || k > a.Length) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} of {a.Length} values");
        var top = new HashSet<int>(TopIndices(a, k));
        int shared = 0;
        foreach (int i in TopIndices(b, k)) if (top.Contains(i)) shared++;
        return (double)shared / k;
    }

    static int[] TopIndices(ReadOnlySpan<float> values, int k)
    {
        var copy = values.ToArray();
        return Enumerable.Range(0, copy.Length).OrderByDescending(i => copy[i]).ThenBy(i => i).Take(k).ToArray();
    }
}
