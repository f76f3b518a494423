using Vitmix.Data.Datasets;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Relevance rank accuracy (Arras, Osman &amp; Samek 2022): with K = |G| object pixels, the share of the K most
/// relevant pixels that lie on the object, |top-K ∩ G| / K. Void pixels (255) are neither ranked nor counted.
/// <para>
/// Ties at the K-th value: pixels tied with it are shared out in proportion, i.e. the expected hits when the ties are
/// broken at random, so the score does not depend on pixel order. Quantus takes NumPy's argsort order (ties
/// implementation-defined), under which a constant map could score anything from 0 to 1.
/// </para>
/// </summary>
public static class RelevanceRankAccuracy
{
    /// <summary>
    /// The accuracy in [0, 1]; NaN when the ground truth has no object pixel. <paramref name="scratch"/> holds at least
    /// as many values as the map (its contents are overwritten), so the per-map call allocates nothing.
    /// </summary>
    public static double Score(ReadOnlySpan<float> map, ReadOnlySpan<byte> truth, Span<float> scratch)
    {
        if (map.Length != truth.Length) throw new ArgumentException($"map has {map.Length} pixels, ground truth {truth.Length}");
        if (scratch.Length < map.Length) throw new ArgumentException($"scratch of {scratch.Length} values is shorter than the {map.Length}-pixel map");
        int valid = 0, objectPixels = 0;
        for (int i = 0; i < map.Length; i++)
        {
            byte g = truth[i];
            if (g == GroundTruthMask.Void) continue;
            scratch[valid++] = map[i];
            if (g != 0) objectPixels++;
        }
        if (objectPixels == 0) return double.NaN;
        var values = scratch[..valid];
        values.Sort(); // ascending, NaN first: NaN is never among the most relevant
        float kth = values[valid - objectPixels];
        long above = 0, objectAbove = 0, tied = 0, objectTied = 0;
        for (int i = 0; i < map.Length; i++)
        {
            byte g = truth[i];
            if (g == GroundTruthMask.Void) continue;
            if (map[i] > kth) { above++; if (g != 0) objectAbove++; }
            else if (map[i] == kth) { tied++; if (g != 0) objectTied++; }
        }
        // The K slots are the pixels above the K-th value and K − above of the tied ones.
        double hits = objectAbove + (double)(objectPixels - above) * objectTied / tied;
        return hits / objectPixels;
    }
}
