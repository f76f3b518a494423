using Vitmix.Data;
using Vitmix.Evaluation;
using Vitmix.Evaluation.Sanity;

namespace Vitmix.Tests.Evaluation.Sanity;

/// <summary>The similarities a sanity check reports: SSIM against scikit-image itself, Spearman and top-k by hand.</summary>
public class SanityMetricsTests
{
    [Fact]
    public void Ssim_MatchesScikitImage()
    {
        // tests/reference/ssim.py: skimage.metrics.structural_similarity on random, noisy, identical and inverted maps
        // of 4×4 to 14×14 (windows 3, 5 and 7).
        string folder = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Evaluation", "Sanity", "Reference", "ssim");
        var expected = Npy.Read(Path.Combine(folder, "ssim.npy")).Values;
        Assert.Equal(12, expected.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            var a = Npy.Read(Path.Combine(folder, $"a_{k}.npy"));
            var b = Npy.Read(Path.Combine(folder, $"b_{k}.npy"));
            double actual = StructuralSimilarity.Compute(a.ToFloat(), b.ToFloat(), a.Shape[0], a.Shape[1], dataRange: 1);
            Assert.True(Math.Abs(actual - expected[k]) < 1e-5, $"case {k} ({a.Shape[0]}×{a.Shape[1]}): {actual} vs skimage's {expected[k]}");
        }
    }

    [Fact]
    public void Ssim_WindowIsSevenOrTheLargestOddSideThatFits()
    {
        Assert.Equal(7, StructuralSimilarity.WindowFor(14, 14));
        Assert.Equal(3, StructuralSimilarity.WindowFor(4, 4));
        Assert.Equal(5, StructuralSimilarity.WindowFor(5, 8));
        Assert.Equal(1, StructuralSimilarity.WindowFor(2, 9));
    }

    [Fact]
    public void Spearman_KnownCases()
    {
        Assert.Equal(1.0, SpearmanCorrelation.Compute([1, 2, 3, 4], [10, 20, 30, 40]), 12);
        Assert.Equal(-1.0, SpearmanCorrelation.Compute([1, 2, 3, 4], [4, 3, 2, 1]), 12);
        // Monotone but not linear: ranks agree exactly.
        Assert.Equal(1.0, SpearmanCorrelation.Compute([1, 2, 3, 4, 5], [1, 4, 9, 16, 1000]), 12);
        // Ties share their average rank: a = ranks (1, 2.5, 2.5, 4), b = (1, 2, 3, 4); Pearson of those = 0.9486833.
        Assert.Equal(0.9486832980505138, SpearmanCorrelation.Compute([1, 2, 2, 3], [1, 2, 3, 4]), 12);
        Assert.True(double.IsNaN(SpearmanCorrelation.Compute([5, 5, 5], [1, 2, 3])));
    }

    [Fact]
    public void TopKOverlap_HandCases()
    {
        float[] a = [0.9f, 0.1f, 0.8f, 0.2f, 0.7f];
        float[] b = [0.1f, 0.9f, 0.8f, 0.2f, 0.7f];
        // top-2: a {0, 2}, b {1, 2} → 1 of 2; top-3: a {0, 2, 4}, b {1, 2, 4} → 2 of 3.
        Assert.Equal(0.5, TopKOverlap.Compute(a, b, 2));
        Assert.Equal(2.0 / 3, TopKOverlap.Compute(a, b, 3), 12);
        Assert.Equal(1.0, TopKOverlap.Compute(a, a, 2));
        // Ties broken by position: all equal → both top-2 are {0, 1}.
        Assert.Equal(1.0, TopKOverlap.Compute([1f, 1f, 1f], [2f, 2f, 2f], 2));
        Assert.Equal(20, TopKOverlap.K(0.1, 196));
        Assert.Equal(1, TopKOverlap.K(0.1, 4));
        Assert.Equal(2, TopKOverlap.K(0.1, 16));
    }
}
