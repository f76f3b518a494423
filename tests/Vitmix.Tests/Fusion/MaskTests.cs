using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;

namespace Vitmix.Tests.Fusion;

public class MaskTests
{
    // Naive twin of the bilinear resize: PyTorch's formula evaluated independently per output pixel in double.
    static double NaiveBilinear(float[] src, int sh, int sw, int dh, int dw, int i, int j)
    {
        static (int, int, double) Axis(int s, int d, int o)
        {
            double x = Math.Max((double)s / d * (o + 0.5) - 0.5, 0);
            int lo = (int)Math.Floor(x);
            return (lo, Math.Min(lo + 1, s - 1), x - lo);
        }
        var (y0, y1, fy) = Axis(sh, dh, i);
        var (x0, x1, fx) = Axis(sw, dw, j);
        double top = (1 - fx) * src[y0 * sw + x0] + fx * src[y0 * sw + x1];
        double bottom = (1 - fx) * src[y1 * sw + x0] + fx * src[y1 * sw + x1];
        return (1 - fy) * top + fy * bottom;
    }

    [Theory]
    [InlineData(4, 4, 32, 32)]
    [InlineData(3, 5, 7, 13)]   // non-square, non-integer factors
    [InlineData(14, 14, 224, 224)]
    [InlineData(5, 3, 4, 2)]    // downsampling
    [InlineData(1, 1, 3, 3)]
    public void UpsamplerMatchesNaiveTwin(int sh, int sw, int dh, int dw)
    {
        var rng = new Random(sh * 31 + dw);
        var src = Enumerable.Range(0, sh * sw).Select(_ => (float)rng.NextDouble()).ToArray();
        var got = MapToMask.Upsample(new Heatmap(src, sh, sw), dh, dw);
        for (int i = 0; i < dh; i++)
            for (int j = 0; j < dw; j++)
                Assert.True(Math.Abs(got[i * dw + j] - NaiveBilinear(src, sh, sw, dh, dw, i, j)) < 1e-5, $"({i},{j})");
    }

    [Fact]
    public void NormalisationOfConstantMapIsZerosAndRangeIsUnit()
    {
        Assert.All(MinMaxNormalization.Apply([3f, 3f, 3f]), v => Assert.Equal(0f, v));
        var n = MinMaxNormalization.Apply([1f, 3f, 2f]);
        // d = float32(2 + 1e-8) rounds to exactly 2, so the range is exactly [0, 1].
        Assert.Equal([0f, 1f, 0.5f], n);
        // A tiny range keeps the epsilon: float32(1e-7 + 1e-8) = 1.1e-7, so the max maps below 1.
        var t = MinMaxNormalization.Apply([0f, 1e-7f]);
        Assert.Equal(1e-7f / (float)(1e-7f + 1e-8), t[1]);
        Assert.True(t[1] < 0.95f);
    }

    // Naive Otsu twin: for every t, compute the class statistics from scratch; the first maximum wins.
    static int NaiveOtsu(long[] h)
    {
        long n = h.Sum();
        double best = 0; int bestT = 0;
        for (int t = 0; t < 256; t++)
        {
            double w1 = 0, s1 = 0, w2 = 0, s2 = 0;
            for (int i = 0; i < 256; i++)
            {
                if (i <= t) { w1 += h[i]; s1 += (double)i * h[i]; }
                else { w2 += h[i]; s2 += (double)i * h[i]; }
            }
            double q1 = w1 / n, q2 = w2 / n;
            if (Math.Min(q1, q2) < 1.1920928955078125e-07 || Math.Max(q1, q2) > 1 - 1.1920928955078125e-07) continue;
            double mu1 = s1 / w1, mu2 = s2 / w2;
            double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
            if (sigma > best * (1 + 1e-12)) { best = sigma; bestT = t; }
        }
        return bestT;
    }

    [Fact]
    public void OtsuMatchesNaiveTwinOnRandomHistograms()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            var h = new long[256];
            int modes = rng.Next(1, 4);
            int pixels = rng.Next(10, 5000);
            for (int p = 0; p < pixels; p++)
            {
                int centre = 40 + 80 * rng.Next(modes);
                int v = Math.Clamp(centre + (int)(rng.NextDouble() * 60 - 30) * (trial % 3 == 0 ? 1 : 2), 0, 255);
                h[v]++;
            }
            Assert.Equal(NaiveOtsu(h), OtsuThreshold.Threshold(h, h.Sum()));
        }
        // A single value cannot be split: threshold 0.
        var single = new long[256]; single[77] = 100;
        Assert.Equal(0, OtsuThreshold.Threshold(single, 100));
    }

    [Fact]
    public void OtsuMasksAboveTheLevelOfTruncatedBytes()
    {
        // Two clusters: bytes 25 (0.1·255 = 25.5 → 25) and 229 (0.9·255 = 229.5 → 229).
        float[] norm = [0.1f, 0.1f, 0.9f, 0.9f, 0.1f, 0.9f];
        var mask = new byte[6];
        double t = new OtsuThreshold().Apply(norm, mask);
        Assert.Equal(25, t); // the first maximum, at the lower cluster
        Assert.Equal([0, 0, 1, 1, 0, 1], mask);
        Assert.Equal(25, OtsuThreshold.ToByte(0.1f));
        Assert.Equal(255, OtsuThreshold.ToByte(1f));
        Assert.Equal(0, OtsuThreshold.ToByte(float.NaN));
    }

    [Fact]
    public void MeanTopAndFixedThresholds()
    {
        float[] m = [0f, 0.2f, 0.4f, 0.4f, 1f]; // mean 0.4
        var mask = new byte[5];
        Assert.Equal(0.4, MaskThresholds.Parse("mean").Apply(m, mask), 6);
        Assert.Equal([0, 0, 0, 0, 1], mask);
        MaskThresholds.Parse("top:40").Apply(m, mask); // 2 pixels; the tie at 0.4 goes to the lower index
        Assert.Equal([0, 0, 1, 0, 1], mask);
        MaskThresholds.Parse("fixed:0.3").Apply(m, mask);
        Assert.Equal([0, 0, 1, 1, 1], mask);
        Assert.IsType<TopPercentThreshold>(MaskThresholds.Parse("20%"));
        Assert.IsType<FixedThreshold>(MaskThresholds.Parse("0.5"));
        Assert.Throws<ArgumentException>(() => MaskThresholds.Parse("top:120"));
        Assert.Throws<ArgumentException>(() => MaskThresholds.Parse("median"));
    }
}
