using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

/// <summary>ROAD's noisy linear imputation against hand-solved and densely solved systems.</summary>
public class NoisyLinearImputerTests
{
    static readonly (int Dy, int Dx, double W)[] Stencil =
        [(-1, -1, 1 / 12.0), (-1, 0, 1 / 6.0), (-1, 1, 1 / 12.0), (0, -1, 1 / 6.0), (0, 1, 1 / 6.0), (1, -1, 1 / 12.0), (1, 0, 1 / 6.0), (1, 1, 1 / 12.0)];

    /// <summary>The system written out densely from the definition and solved by Gaussian elimination with pivoting.</summary>
    static double[] DenseSolve(float[] plane, int h, int w, bool[] removed)
    {
        var unknowns = Enumerable.Range(0, h * w).Where(i => removed[i]).ToArray();
        int n = unknowns.Length;
        var index = new Dictionary<int, int>();
        for (int i = 0; i < n; i++) index[unknowns[i]] = i;
        var a = new double[n, n + 1];
        for (int i = 0; i < n; i++)
        {
            int y = unknowns[i] / w, x = unknowns[i] % w;
            foreach (var (dy, dx, wt) in Stencil)
            {
                int ny = y + dy, nx = x + dx;
                if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
                a[i, i] += wt;
                int q = ny * w + nx;
                if (removed[q]) a[i, index[q]] -= wt; else a[i, n] += wt * plane[q];
            }
        }
        for (int col = 0; col < n; col++)
        {
            int pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(a[r, col]));
            for (int c = 0; c <= n; c++) (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double f = a[r, col] / a[col, col];
                for (int c = col; c <= n; c++) a[r, c] -= f * a[col, c];
            }
        }
        return Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i]).ToArray();
    }

    static float[] RandomImage(int channels, int h, int w, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, channels * h * w).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    [Fact]
    public void AnInteriorPixelIsTheWeightedMeanOfItsEightNeighbours_AndAnyOtherIsKept()
    {
        var image = RandomImage(2, 3, 3, 1);
        var original = (float[])image.Clone();
        var removed = new bool[9];
        removed[4] = true;
        new NoisyLinearImputer().Impute(image, 2, 3, 3, removed);
        for (int c = 0; c < 2; c++)
        {
            float V(int y, int x) => original[c * 9 + y * 3 + x];
            // Direct neighbours 1/6, diagonal 1/12: the weights sum to 1 inside the image.
            double expected = (V(0, 1) + V(1, 0) + V(1, 2) + V(2, 1)) / 6.0 + (V(0, 0) + V(0, 2) + V(2, 0) + V(2, 2)) / 12.0;
            Assert.Equal(expected, image[c * 9 + 4], 5);
            for (int i = 0; i < 9; i++) if (i != 4) Assert.Equal(original[c * 9 + i], image[c * 9 + i]);
        }
    }

    [Fact]
    public void ACornerPixelDividesByTheWeightsInsideTheImage()
    {
        var image = RandomImage(1, 3, 3, 2);
        var original = (float[])image.Clone();
        var removed = new bool[9];
        removed[0] = true;
        new NoisyLinearImputer().Impute(image, 1, 3, 3, removed);
        double expected = (original[1] / 6.0 + original[3] / 6.0 + original[4] / 12.0) / (5 / 12.0);
        Assert.Equal(expected, image[0], 5);
    }

    [Theory]
    [InlineData(4, 4, 0)]   // the 2x2 hole in the middle
    [InlineData(7, 6, 1)]   // random holes, borders and corners included
    [InlineData(9, 9, 2)]
    public void TheSolutionIsTheDenseSolveOfTheSystem(int h, int w, int kind)
    {
        const int channels = 3;
        var image = RandomImage(channels, h, w, 10 + kind);
        var original = (float[])image.Clone();
        bool[] removed;
        if (kind == 0) { removed = new bool[h * w]; removed[5] = removed[6] = removed[9] = removed[10] = true; }
        else { var rng = new Random(kind); removed = Enumerable.Range(0, h * w).Select(_ => rng.NextDouble() < 0.6).ToArray(); }
        var imputer = new NoisyLinearImputer();
        imputer.Impute(image, channels, h, w, removed);
        Assert.True(imputer.LastIterations > 0);
        for (int c = 0; c < channels; c++)
        {
            var plane = original.AsSpan(c * h * w, h * w).ToArray();
            var expected = DenseSolve(plane, h, w, removed);
            int u = 0;
            for (int i = 0; i < h * w; i++)
                if (removed[i]) Assert.Equal(expected[u++], image[c * h * w + i], 5);
                else Assert.Equal(plane[i], image[c * h * w + i]);
        }
    }

    [Fact]
    public void NoiseIsAddedToTheImputedPixelsOnly()
    {
        const int h = 8, w = 8, channels = 3;
        var image = RandomImage(channels, h, w, 4);
        var rng = new Random(3);
        var removed = Enumerable.Range(0, h * w).Select(_ => rng.NextDouble() < 0.5).ToArray();
        var noise = Enumerable.Range(0, channels * h * w).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var clean = (float[])image.Clone();
        var noisy = (float[])image.Clone();
        var imputer = new NoisyLinearImputer();
        imputer.Impute(clean, channels, h, w, removed);
        imputer.Impute(noisy, channels, h, w, removed, noise);
        for (int i = 0; i < noisy.Length; i++)
            Assert.Equal(removed[i % (h * w)] ? clean[i] + noise[i] : image[i], noisy[i]);
    }

    [Fact]
    public void ImputationCommutesWithAPerChannelAffineMap_SoItMayRunOnTheNormalisedInput()
    {
        const int h = 10, w = 12;
        var image = RandomImage(1, h, w, 6);
        var rng = new Random(8);
        var removed = Enumerable.Range(0, h * w).Select(_ => rng.NextDouble() < 0.7).ToArray();
        var mapped = image.Select(v => 0.229f * v + 0.485f).ToArray();
        var imputer = new NoisyLinearImputer();
        imputer.Impute(image, 1, h, w, removed);
        imputer.Impute(mapped, 1, h, w, removed);
        for (int i = 0; i < image.Length; i++) Assert.Equal(0.229 * image[i] + 0.485, mapped[i], 5);
    }

    [Fact]
    public void ALargeHoleConverges_NothingRemovedChangesNothing_AndAllRemovedIsRefused()
    {
        const int h = 64, w = 64;
        var image = RandomImage(3, h, w, 9);
        var rng = new Random(2);
        var order = Enumerable.Range(0, h * w).OrderBy(_ => rng.Next()).ToArray();
        var removed = new bool[h * w];
        foreach (int i in order.Take(h * w * 9 / 10)) removed[i] = true;
        for (int y = 10; y < 50; y++) for (int x = 10; x < 50; x++) removed[y * w + x] = true;
        var imputer = new NoisyLinearImputer();
        imputer.Impute(image, 3, h, w, removed);
        Assert.InRange(imputer.LastIterations, 1, h * w);
        Assert.All(image, v => Assert.InRange(v, -2f, 2f));   // a weighted mean stays within the known values' range

        var kept = RandomImage(1, 4, 4, 1);
        var copy = (float[])kept.Clone();
        imputer.Impute(kept, 1, 4, 4, new bool[16]);
        Assert.Equal(copy, kept);
        Assert.Equal(0, imputer.LastIterations);

        var e = Assert.Throws<ArgumentException>(() => imputer.Impute(kept, 1, 4, 4, Enumerable.Repeat(true, 16).ToArray()));
        Assert.Contains("every pixel", e.Message);
    }
}
