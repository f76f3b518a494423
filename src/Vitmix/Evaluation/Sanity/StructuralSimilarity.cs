namespace Vitmix.Evaluation.Sanity;

/// <summary>
/// The mean structural similarity of two single-channel maps as scikit-image computes it
/// (skimage/metrics/_structural_similarity.py, structural_similarity with its defaults: a uniform win×win window,
/// K1 = 0.01, K2 = 0.03, sample covariances, the mean over the positions where the window lies inside the map).
/// The window is 7 as skimage's default, or the largest odd size that fits a smaller map (skimage refuses those).
/// </summary>
public static class StructuralSimilarity
{
    /// <summary>The window used for an <paramref name="height"/> × <paramref name="width"/> map: 7, or the largest odd side that fits.</summary>
    public static int WindowFor(int height, int width)
    {
        int side = Math.Min(7, Math.Min(height, width));
        return side % 2 == 1 ? side : side - 1;
    }

    /// <summary>Mean SSIM of <paramref name="a"/> and <paramref name="b"/> (row-major, height × width) with values spanning <paramref name="dataRange"/>.</summary>
    public static double Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int height, int width, double dataRange)
    {
        if (a.Length != height * width || b.Length != a.Length) throw new ArgumentException($"maps of {a.Length} and {b.Length} values for {height}×{width}");
        int win = WindowFor(height, width);
        if (win < 1) throw new ArgumentException("an empty map has no structure to compare");
        double n = win * win, covarianceNorm = n > 1 ? n / (n - 1) : 1;
        double c1 = Math.Pow(0.01 * dataRange, 2), c2 = Math.Pow(0.03 * dataRange, 2);
        double total = 0;
        int positions = 0;
        for (int y = 0; y + win <= height; y++)
            for (int x = 0; x + win <= width; x++)
            {
                double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                for (int dy = 0; dy < win; dy++)
                    for (int dx = 0; dx < win; dx++)
                    {
                        int i = (y + dy) * width + x + dx;
                        double va = a[i], vb = b[i];
                        sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
                    }
                double ua = sa / n, ub = sb / n;
                double va2 = covarianceNorm * (saa / n - ua * ua), vb2 = covarianceNorm * (sbb / n - ub * ub), vab = covarianceNorm * (sab / n - ua * ub);
                total += (2 * ua * ub + c1) * (2 * vab + c2) / ((ua * ua + ub * ub + c1) * (va2 + vb2 + c2));
                positions++;
            }
        return total / positions;
    }
}
