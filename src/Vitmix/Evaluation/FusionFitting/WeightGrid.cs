namespace Vitmix.Evaluation.FusionFitting;

/// <summary>
/// The candidate weightings of a learned fusion: every point of the simplex Σw = 1, w ≥ 0, whose coordinates are
/// multiples of a step (1/n): C(n + k − 1, k − 1) points for k methods. A zero weight drops the method, so the grid
/// also holds every smaller combination and every single map.
/// </summary>
public static class WeightGrid
{
    /// <summary>The number of points for <paramref name="methods"/> methods at step 1/<paramref name="divisions"/>.</summary>
    public static long Count(int methods, int divisions)
    {
        long c = 1;   // C(divisions + methods − 1, methods − 1), computed incrementally to stay exact
        for (int i = 1; i < methods; i++) c = c * (divisions + i) / i;
        return c;
    }

    /// <summary>The points, each as integer parts summing to <paramref name="divisions"/> (weights = parts / divisions).</summary>
    public static IEnumerable<int[]> Points(int methods, int divisions)
    {
        if (methods < 1) throw new ArgumentOutOfRangeException(nameof(methods), "no method to weight");
        if (divisions < 1) throw new ArgumentOutOfRangeException(nameof(divisions), "the step must divide 1 at least once");
        var parts = new int[methods];
        return Fill(parts, 0, divisions);
    }

    static IEnumerable<int[]> Fill(int[] parts, int index, int left)
    {
        if (index == parts.Length - 1)
        {
            parts[index] = left;
            yield return (int[])parts.Clone();
            yield break;
        }
        for (int v = left; v >= 0; v--)
        {
            parts[index] = v;
            foreach (var p in Fill(parts, index + 1, left - v)) yield return p;
        }
    }
}
