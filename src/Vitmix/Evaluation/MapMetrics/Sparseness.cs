using Vitmix.Data.Datasets;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Sparseness (Chalasani et al., "Concise explanations of neural networks using adversarial training", ICML 2020):
/// the Gini index of |m|. With c the n magnitudes sorted ascending, G = Σ_{i=1..n} (2i − n − 1) c_i / (n Σ c_i)
/// (Hurley &amp; Rickard's form): 0 when every pixel has the same magnitude, 1 − 1/n for a single non-zero pixel.
/// Higher = the relevance is concentrated on fewer pixels. Void pixels (255) are left out.
/// <para>
/// A map of zeros is 0 (all magnitudes equal); Quantus gets the same by adding 1e-7 to every value, which here is
/// not done, so non-zero maps are scored exactly.
/// </para>
/// </summary>
public static class Sparseness
{
    /// <summary>
    /// The Gini index in [0, 1 − 1/n] over the non-void pixels (all pixels when <paramref name="truth"/> is empty); NaN
    /// when no pixel is left. <paramref name="scratch"/> holds at least as many values as the map (overwritten).
    /// </summary>
    public static double Score(ReadOnlySpan<float> map, ReadOnlySpan<byte> truth, Span<float> scratch)
    {
        if (!truth.IsEmpty && truth.Length != map.Length) throw new ArgumentException($"map has {map.Length} pixels, ground truth {truth.Length}");
        if (scratch.Length < map.Length) throw new ArgumentException($"scratch of {scratch.Length} values is shorter than the {map.Length}-pixel map");
        int n = 0;
        for (int i = 0; i < map.Length; i++)
            if (truth.IsEmpty || truth[i] != GroundTruthMask.Void) scratch[n++] = Math.Abs(map[i]);
        if (n == 0) return double.NaN;
        var sorted = scratch[..n];
        sorted.Sort();
        double weighted = 0, total = 0;
        for (int i = 0; i < n; i++)
        {
            weighted += (2.0 * (i + 1) - n - 1) * sorted[i];
            total += sorted[i];
        }
        return total > 0 ? weighted / (n * total) : 0;
    }
}
