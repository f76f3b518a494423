using Vitmix.Model;
using Vitmix.Training;

namespace Vitmix.Tests.Training;

public class VitInitializerTests
{
    static readonly VitConfig Config = new() { ImageHeight = 32, ImageWidth = 32, PatchSize = 8, EmbedDim = 48, Depth = 2, NumHeads = 3, MlpHidden = 96, NumClasses = 4 };

    /// <summary>(A·Bᵀ) for row-major A, B of shape (d, d).</summary>
    static double[,] TimesTransposed(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int d)
    {
        var r = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
                r[i, j] = s;
            }
        return r;
    }

    static (double Diagonal, double OffDiagonalRms) Split(double[,] m, int d)
    {
        double diag = 0, off = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                if (i == j) diag += m[i, j]; else off += m[i, j] * m[i, j];
        return (diag / d, Math.Sqrt(off / (d * d - d)));
    }

    [Fact]
    public void AttentionStartsMimetic_QueryKeyNearPlusIdentity_ValueProjectionNearMinusIdentity()
    {
        int d = Config.EmbedDim;
        var state = VitInitializer.Create(Config, 3).Named().ToDictionary(p => p.Name, p => p.Data);
        for (int b = 0; b < Config.Depth; b++)
        {
            var qkv = state[$"blocks.{b}.attn.qkv.weight"];
            // Σ over output rows of W_q[r,i]·W_k[r,j] = (W_qᵀ W_k)[i,j]: the bilinear form x_iᵀ·(...)·x_j the logits use.
            var wq = Transpose(qkv.AsSpan(0, d * d), d);
            var wk = Transpose(qkv.AsSpan(d * d, d * d), d);
            var (qkDiag, qkOff) = Split(TimesTransposed(wq, wk, d), d);
            Assert.InRange(qkDiag, 0.65, 0.75);
            Assert.True(qkOff < 0.05, $"block {b}: off-diagonal rms {qkOff}");

            // W_proj·W_v: proj (d_out, d_in) times v (d_in, d) = proj · (vᵀ)ᵀ.
            var proj = state[$"blocks.{b}.attn.proj.weight"];
            var vT = Transpose(qkv.AsSpan(2 * d * d, d * d), d);
            var (pvDiag, pvOff) = Split(TimesTransposed(proj, vT, d), d);
            Assert.InRange(pvDiag, -0.45, -0.35);
            Assert.True(pvOff < 0.05, $"block {b}: off-diagonal rms {pvOff}");
        }
    }

    [Fact]
    public void SameSeedSameWeights_DifferentSeedDifferentWeights()
    {
        var a = VitInitializer.Create(Config, 5).Named().ToList();
        var b = VitInitializer.Create(Config, 5).Named().ToList();
        var c = VitInitializer.Create(Config, 6).Named().ToList();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Data, b[i].Data);
        Assert.NotEqual(a.First(p => p.Name == "blocks.0.attn.qkv.weight").Data, c.First(p => p.Name == "blocks.0.attn.qkv.weight").Data);
    }

    static float[] Transpose(ReadOnlySpan<float> m, int d)
    {
        var t = new float[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) t[j * d + i] = m[i * d + j];
        return t;
    }
}
