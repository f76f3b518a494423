using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

/// <summary>The attention kernel with a logit bias (BEiT) against a naive twin, per sample and shared.</summary>
public class AttentionKernelTests
{
    /// <summary>softmax(q·kᵀ/√hd + bias)·v, one (sample, head) at a time, in doubles.</summary>
    static (float[] Probabilities, float[] Context) Naive(float[] qkv, float[] bias, long stride, int b, int n, int h, int hd)
    {
        int d = h * hd;
        var p = new float[b * h * n * n];
        var ctx = new float[b * n * d];
        for (int s = 0; s < b; s++)
            for (int head = 0; head < h; head++)
                for (int i = 0; i < n; i++)
                {
                    var row = new double[n];
                    for (int j = 0; j < n; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < hd; c++)
                            dot += (double)qkv[(s * n + i) * 3 * d + head * hd + c] * qkv[(s * n + j) * 3 * d + d + head * hd + c];
                        row[j] = dot / Math.Sqrt(hd) + bias[s * stride + (head * n + i) * n + j];
                    }
                    double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                    for (int j = 0; j < n; j++) p[((s * h + head) * n + i) * n + j] = (float)(Math.Exp(row[j] - max) / sum);
                    for (int c = 0; c < hd; c++)
                    {
                        double acc = 0;
                        for (int j = 0; j < n; j++) acc += p[((s * h + head) * n + i) * n + j] * (double)qkv[(s * n + j) * 3 * d + 2 * d + head * hd + c];
                        ctx[(s * n + i) * d + head * hd + c] = (float)acc;
                    }
                }
        return (p, ctx);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheBiasedKernelMatchesItsNaiveTwin(bool perSample)
    {
        int b = 3, n = 7, h = 2, hd = 5, d = h * hd;
        var rng = new Random(11);
        float R() => (float)(rng.NextDouble() * 2 - 1);
        var qkv = new Tensor(Enumerable.Range(0, b * n * 3 * d).Select(_ => R()).ToArray(), b, n, 3 * d);
        long stride = perSample ? (long)h * n * n : 0;
        var bias = new Tensor(Enumerable.Range(0, (int)(perSample ? b * stride : h * n * n)).Select(_ => 2 * R()).ToArray(),
            perSample ? b : 1, h, n, n);
        var p = new Tensor(b, h, n, n);
        var ctx = new Tensor(b, n, d);
        ComputeBackend.Cpu.Attention(qkv, p, ctx, b, n, h, hd, bias, stride);
        var (ep, ec) = Naive(qkv.Data, bias.Data, stride, b, n, h, hd);
        for (int i = 0; i < ep.Length; i++) Assert.True(Math.Abs(p.Data[i] - ep[i]) < 1e-5, $"probability {i}: {p.Data[i]} vs {ep[i]}");
        for (int i = 0; i < ec.Length; i++) Assert.True(Math.Abs(ctx.Data[i] - ec[i]) < 1e-5, $"context {i}: {ctx.Data[i]} vs {ec[i]}");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void LeadingRowsAreTheNaiveTwinsFirstRows(int rows, bool biased)
    {
        // a batch: the first `rows` queries of each sample against all its keys, written (B, rows, D)
        int b = 3, n = 7, h = 2, hd = 5, d = h * hd;
        var rng = new Random(12);
        float R() => (float)(rng.NextDouble() * 2 - 1);
        var qkv = new Tensor(Enumerable.Range(0, b * n * 3 * d).Select(_ => R()).ToArray(), b, n, 3 * d);
        long stride = (long)h * n * n;
        var bias = new Tensor(Enumerable.Range(0, (int)(b * stride)).Select(_ => biased ? 2 * R() : 0f).ToArray(), b, h, n, n);
        var ctx = new Tensor(b, rows, d);
        ComputeBackend.Cpu.AttentionLeadingRows(qkv, ctx, b, n, null, h, hd, rows, biased ? bias : null, biased ? stride : 0);
        var (_, ec) = Naive(qkv.Data, bias.Data, stride, b, n, h, hd);
        for (int s = 0; s < b; s++)
            for (int i = 0; i < rows * d; i++)
                Assert.True(Math.Abs(ctx.Data[s * rows * d + i] - ec[s * n * d + i]) < 1e-5, $"sample {s} value {i}: {ctx.Data[s * rows * d + i]} vs {ec[s * n * d + i]}");
    }

    [Fact]
    public void LeadingRowsOfPackedSequencesAttendWithinEachSequence()
    {
        // three sequences of 3, 4 and 1 tokens packed into 8 rows; each one's first row against its own keys only
        int[] offsets = [0, 3, 7, 8];
        int h = 2, hd = 4, d = h * hd, t = offsets[^1];
        var rng = new Random(13);
        var qkv = new Tensor(Enumerable.Range(0, t * 3 * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 1, t, 3 * d);
        var ctx = new Tensor(3, 1, d);
        ComputeBackend.Cpu.AttentionLeadingRows(qkv, ctx, 1, t, offsets, h, hd, 1);
        for (int s = 0; s < 3; s++)
        {
            int n = offsets[s + 1] - offsets[s];
            var own = new Tensor(qkv.Data.AsSpan(offsets[s] * 3 * d, n * 3 * d).ToArray(), 1, n, 3 * d);
            var (_, ec) = Naive(own.Data, new float[h * n * n], 0, 1, n, h, hd);
            for (int i = 0; i < d; i++) Assert.True(Math.Abs(ctx.Data[s * d + i] - ec[i]) < 1e-5, $"sequence {s} value {i}: {ctx.Data[s * d + i]} vs {ec[i]}");
        }
        // a sequence shorter than the rows asked for is refused
        Assert.Throws<ArgumentException>(() => ComputeBackend.Cpu.AttentionLeadingRows(qkv, new Tensor(3, 2, d), 1, t, offsets, h, hd, 2));
    }

    [Fact]
    public void ABiasTooShortIsRefusedWithItsSize()
    {
        var qkv = new Tensor(2, 3, 12);
        var e = Assert.ThrowsAny<ArgumentException>(() => ComputeBackend.Cpu.Attention(qkv, null, new Tensor(2, 3, 4), 2, 3, 2, 2, new Tensor(2, 3, 3), 18));
        Assert.Contains("logit bias", e.Message);
    }
}
