using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

public class GemmTests
{
    /// <summary>The sgemm definition written out in double precision, one element at a time.</summary>
    static void NaiveGemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
        float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                ref float cv = ref c[cOff + i * ldc + j];
                cv = (float)(alpha * s + (beta == 0f ? 0.0 : beta * (double)cv));
            }
    }

    static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    static void AssertClose(float[] expected, float[] actual, int k, string what)
    {
        // Both sides sum k products of values in [-1, 1]; float rounding grows like √k·ε·|terms|.
        double tol = 1e-5 * Math.Sqrt(Math.Max(k, 1)) + 1e-6;
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1.0, Math.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} expected {expected[i]} got {actual[i]} (tol {tol})");
    }

    public static TheoryData<int, int, int> Sizes() => new()
    {
        { 1, 1, 1 }, { 1, 7, 3 }, { 7, 1, 5 }, { 7, 7, 7 }, { 6, 16, 8 }, { 8, 32, 16 }, { 13, 33, 17 },
        { 197, 64, 197 }, { 197, 197, 64 }, { 65, 200, 300 }, { 300, 70, 520 }, { 33, 530, 41 }, { 5, 17, 0 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Matches_naive_twin_for_every_transpose_and_kernel(int m, int n, int k)
    {
        foreach (var kernel in new[] { GemmKernel.Auto, GemmKernel.Vector512, GemmKernel.Vector256, GemmKernel.Scalar })
            for (int t = 0; t < 4; t++)
            {
                bool ta = (t & 1) != 0, tb = (t & 2) != 0;
                // Padded strides so every leading dimension differs from the logical width.
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
                var a = Random((ta ? k : m) * lda + 4, 1 + m + t);
                var b = Random((tb ? n : k) * ldb + 4, 2 + n + t);
                var c = Random(m * ldc, 3 + k + t);
                var expected = (float[])c.Clone();
                NaiveGemm(ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, -0.5f, expected, 0, ldc);
                Gemm.Multiply(kernel, ta, tb, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, c, ldc);
                AssertClose(expected, c, k, $"{kernel} transA={ta} transB={tb} {m}x{n}x{k}");
            }
    }

    [Fact]
    public void Beta_zero_overwrites_nan_garbage_in_c()
    {
        foreach (var kernel in new[] { GemmKernel.Auto, GemmKernel.Vector512, GemmKernel.Vector256, GemmKernel.Scalar })
        {
            int m = 19, n = 37, k = 23;
            var a = Random(m * k, 4);
            var b = Random(k * n, 5);
            var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
            var expected = new float[m * n];
            NaiveGemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
            Gemm.Multiply(kernel, false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            AssertClose(expected, c, k, kernel.ToString());
        }
    }

    [Fact]
    public void Attention_reads_strided_slices_of_a_qkv_buffer()
    {
        // q, k, v of one head are column slices of a (N, 3D) buffer: ld = 3D, offsets head·hd, D + head·hd.
        int n = 197, d = 96, hd = 32, head = 1;
        var qkv = Random(n * 3 * d, 6);
        var scores = new float[n * n];
        var expected = new float[n * n];
        float scale = 1f / MathF.Sqrt(hd);
        Gemm.Multiply(false, true, n, n, hd, scale, qkv.AsSpan(head * hd), 3 * d, qkv.AsSpan(d + head * hd), 3 * d, 0f, scores, n);
        NaiveGemm(false, true, n, n, hd, scale, qkv, head * hd, 3 * d, qkv, d + head * hd, 3 * d, 0f, expected, 0, n);
        AssertClose(expected, scores, hd, "q·kᵀ");

        var context = new float[n * d];
        var expectedContext = new float[n * d];
        Gemm.Multiply(false, false, n, hd, n, 1f, scores, n, qkv.AsSpan(2 * d + head * hd), 3 * d, 0f, context.AsSpan(head * hd), d);
        NaiveGemm(false, false, n, hd, n, 1f, scores, 0, n, qkv, 2 * d + head * hd, 3 * d, 0f, expectedContext, head * hd, d);
        AssertClose(expectedContext, context, n, "p·v");
    }

    [Theory]
    [InlineData(1, 7, 5, true)]
    [InlineData(197, 768, 96, true)]
    [InlineData(65, 192, 576, true)]
    [InlineData(3, 10, 33, false)]
    public void Linear_is_x_times_w_transposed_plus_bias(int m, int k, int n, bool withBias)
    {
        var x = Random(m * k, 7);
        var w = Random(n * k, 8);
        var bias = withBias ? Random(n, 9) : [];
        var y = Enumerable.Repeat(float.NaN, m * n).ToArray();
        Gemm.Linear(x, w, bias, y, m, k, n);
        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = withBias ? bias[j] : 0;
                for (int p = 0; p < k; p++) s += (double)x[i * k + p] * w[j * k + p];
                expected[i * n + j] = (float)s;
            }
        AssertClose(expected, y, k, "linear");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void Batched_matches_each_multiply_on_its_own(bool ta, bool tb)
    {
        int count = 5, m = 37, n = 29, k = 41, lda = 50, ldb = 60, ldc = 31;
        long sa = 50L * 50, sb = 60L * 60, sc = 37L * 31 + 7;
        var a = Random((int)(sa * count), 10);
        var b = Random((int)(sb * count), 11);
        var c = Random((int)(sc * count), 12);
        var expected = (float[])c.Clone();
        for (int t = 0; t < count; t++)
            NaiveGemm(ta, tb, m, n, k, 2f, a, (int)(t * sa), lda, b, (int)(t * sb), ldb, 1f, expected, (int)(t * sc), ldc);
        Gemm.MultiplyBatched(count, ta, tb, m, n, k, 2f, a, lda, sa, b, ldb, sb, 1f, c, ldc, sc);
        AssertClose(expected, c, k, "batched");
    }

    [Fact]
    public void Large_problem_split_over_threads_matches_naive_twin()
    {
        // Big enough for the worker team (M·N·K ≥ 2²⁰) and for several KC and NC blocks.
        foreach (var (m, n, k) in new[] { (197, 1100, 300), (700, 90, 530) })
        {
            var a = Random(m * k, 13);
            var b = Random(n * k, 14);
            var c = new float[m * n];
            var expected = new float[m * n];
            NaiveGemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, expected, 0, n);
            Gemm.Multiply(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
            AssertClose(expected, c, k, $"{m}x{n}x{k}");
        }
    }

    [Fact]
    public void Too_short_operands_are_rejected_with_the_sizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
        Assert.Contains("A has 15 elements", e.Message);
    }
}
