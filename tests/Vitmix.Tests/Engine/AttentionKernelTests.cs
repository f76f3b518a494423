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

    [Fact]
    public void ABiasTooShortIsRefusedWithItsSize()
    {
        var qkv = new Tensor(2, 3, 12);
        var e = Assert.ThrowsAny<ArgumentException>(() => ComputeBackend.Cpu.Attention(qkv, null, new Tensor(2, 3, 4), 2, 3, 2, 2, new Tensor(2, 3, 3), 18));
        Assert.Contains("logit bias", e.Message);
    }
}
