using Vitmix.Data.Datasets;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Complexity (Bhatt, Weller &amp; Moura, "Evaluating and aggregating feature-based model explanations", IJCAI 2020):
/// the Shannon entropy (natural log, as Quantus's scipy.stats.entropy) of the fractional contributions
/// p_i = |m_i| / Σ|m|: 0 for a single non-zero pixel, ln n for a uniform map. Lower = a simpler explanation.
/// Void pixels (255) are left out.
/// <para>
/// A map of zeros has no contributions to divide: it is taken as uniform (ln n), the least concentrated map, in line
/// with its sparseness of 0; Quantus returns NaN there.
/// </para>
/// </summary>
public static class Complexity
{
    /// <summary>The entropy in [0, ln n] over the non-void pixels (all pixels when <paramref name="truth"/> is empty); NaN when none is left.</summary>
    public static double Score(ReadOnlySpan<float> map, ReadOnlySpan<byte> truth)
    {
        if (!truth.IsEmpty && truth.Length != map.Length) throw new ArgumentException($"map has {map.Length} pixels, ground truth {truth.Length}");
        // H = −Σ (a_i/S) ln(a_i/S) = ln S − (1/S) Σ a_i ln a_i, one pass with zeros contributing nothing.
        int n = 0;
        double total = 0, selfWeighted = 0;
        for (int i = 0; i < map.Length; i++)
        {
            if (!truth.IsEmpty && truth[i] == GroundTruthMask.Void) continue;
            n++;
            double a = Math.Abs((double)map[i]);
            if (a > 0) { total += a; selfWeighted += a * Math.Log(a); }
        }
        if (n == 0) return double.NaN;
        if (!(total > 0)) return Math.Log(n);
        return Math.Max(0, Math.Log(total) - selfWeighted / total); // rounding can leave −1e-16 for one pixel
    }
}
