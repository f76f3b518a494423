namespace Vitmix.Fusion.Rules;

/// <summary>
/// Weighted mean of ranks (Borda count): each map is replaced by its values' ranks scaled to [0, 1]
/// (rank / (n − 1), ties get the average rank as scipy's rankdata), which makes the rule invariant to any
/// monotone rescaling of an input.
/// </summary>
public sealed class RankMean : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "rankmean";

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        float total = TotalWeight(weights);
        Array.Clear(output);
        foreach (var (x, i) in inputs.Select((x, i) => (x, i)))
        {
            var r = Ranks(x);
            for (int j = 0; j < output.Length; j++) output[j] += weights[i] * r[j];
        }
        for (int j = 0; j < output.Length; j++) output[j] /= total;
    }

    /// <summary>Average ranks 0..n-1 divided by n-1 (all zeros for n = 1).</summary>
    internal static float[] Ranks(float[] x)
    {
        int n = x.Length;
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Array.Sort(idx, (a, b) => x[a] != x[b] ? x[a].CompareTo(x[b]) : a.CompareTo(b));
        var r = new float[n];
        if (n < 2) return r;
        for (int s = 0; s < n;)
        {
            int e = s;
            while (e + 1 < n && x[idx[e + 1]] == x[idx[s]]) e++;
            float avg = (float)((s + e) / 2.0 / (n - 1));
            for (int t = s; t <= e; t++) r[idx[t]] = avg;
            s = e + 1;
        }
        return r;
    }
}
