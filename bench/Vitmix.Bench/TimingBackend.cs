using System.Diagnostics;
using Vitmix.Engine;

namespace Vitmix.Bench;

/// <summary>
/// A <see cref="ComputeBackend"/> that times every operation of another one, by name: where a pass spends its time
/// (`quick breakdown`). The seam the layers compute through is what makes this a wrapper, not an instrumented engine.
/// </summary>
public sealed class TimingBackend(ComputeBackend inner) : ComputeBackend
{
    readonly Dictionary<string, (long Ticks, int Calls)> times = [];

    /// <summary>Time (ms) and calls per operation since the last <see cref="Clear"/>.</summary>
    public IReadOnlyDictionary<string, (double Ms, int Calls)> Times { get { lock (times) return times.ToDictionary(kv => kv.Key, kv => (kv.Value.Ticks * 1000.0 / Stopwatch.Frequency, kv.Value.Calls)); } }

    /// <summary>Forgets the times so far.</summary>
    public void Clear() { lock (times) times.Clear(); }

    void Add(string name, long start)
    {
        long t = Stopwatch.GetTimestamp() - start;
        lock (times)
        {
            times.TryGetValue(name, out var v);
            times[name] = (v.Ticks + t, v.Calls + 1);
        }
    }

    /// <inheritdoc/>
    public override void MatMul(bool transA, bool transB, int m, int n, int k, float alpha, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb, float beta, Tensor c, long cOffset, int ldc) { long started = Stopwatch.GetTimestamp(); inner.MatMul(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc); Add("MatMul", started); }

    /// <inheritdoc/>
    public override void MatMulPerHead(int batch, int heads, bool transA, bool transB, int m, int n, int k, float alpha, HeadView a, HeadView b, float beta, HeadView c) { long started = Stopwatch.GetTimestamp(); inner.MatMulPerHead(batch, heads, transA, transB, m, n, k, alpha, a, b, beta, c); Add("MatMulPerHead", started); }

    /// <inheritdoc/>
    public override void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int inDim, int outDim) { long started = Stopwatch.GetTimestamp(); inner.Linear(x, weight, bias, y, rows, inDim, outDim); Add("Linear", started); }

    /// <inheritdoc/>
    public override void LinearBackward(Tensor dy, Tensor x, Tensor weight, Tensor dx, int rows, int inDim, int outDim, Tensor? dWeight, Tensor? dBias) { long started = Stopwatch.GetTimestamp(); inner.LinearBackward(dy, x, weight, dx, rows, inDim, outDim, dWeight, dBias); Add("LinearBackward", started); }

    /// <inheritdoc/>
    public override void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, int rows, int dim, Tensor y, Tensor? mean, Tensor? rstd) { long started = Stopwatch.GetTimestamp(); inner.LayerNorm(x, weight, bias, eps, rows, dim, y, mean, rstd); Add("LayerNorm", started); }

    /// <inheritdoc/>
    public override void LayerNormBackward(Tensor x, Tensor dy, Tensor weight, Tensor mean, Tensor rstd, int rows, int dim, Tensor dx, Tensor? dWeight, Tensor? dBias) { long started = Stopwatch.GetTimestamp(); inner.LayerNormBackward(x, dy, weight, mean, rstd, rows, dim, dx, dWeight, dBias); Add("LayerNormBackward", started); }

    /// <inheritdoc/>
    public override void Gelu(Tensor x, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Gelu(x, y); Add("Gelu", started); }

    /// <inheritdoc/>
    public override void GeluBackward(Tensor x, Tensor dy, Tensor dx) { long started = Stopwatch.GetTimestamp(); inner.GeluBackward(x, dy, dx); Add("GeluBackward", started); }

    /// <inheritdoc/>
    public override void Attention(Tensor qkv, Tensor? probabilities, Tensor context, int batch, int tokens, int heads, int headDim) { long started = Stopwatch.GetTimestamp(); inner.Attention(qkv, probabilities, context, batch, tokens, heads, headDim); Add("Attention", started); }
    public override void Attention(Tensor qkv, Tensor? probabilities, Tensor context, int batch, int tokens, int heads, int headDim, Tensor logitBias, long biasSampleStride) { long started = Stopwatch.GetTimestamp(); inner.Attention(qkv, probabilities, context, batch, tokens, heads, headDim, logitBias, biasSampleStride); Add("Attention", started); }

    /// <inheritdoc/>
    public override void AttentionPacked(Tensor qkv, Tensor context, int[] offsets, int heads, int headDim) { long started = Stopwatch.GetTimestamp(); inner.AttentionPacked(qkv, context, offsets, heads, headDim); Add("AttentionPacked", started); }

    /// <inheritdoc/>
    public override void AttentionLeadingRows(Tensor qkv, Tensor context, int batch, int tokens, int[]? offsets, int heads, int headDim, int rows, Tensor? logitBias = null, long biasSampleStride = 0) { long started = Stopwatch.GetTimestamp(); inner.AttentionLeadingRows(qkv, context, batch, tokens, offsets, heads, headDim, rows, logitBias, biasSampleStride); Add("AttentionLeadingRows", started); }
    public override void AttentionBackward(Tensor qkv, Tensor probabilities, Tensor dContext, Tensor dQkv, Tensor? dProbabilities, int batch, int tokens, int heads, int headDim) { long started = Stopwatch.GetTimestamp(); inner.AttentionBackward(qkv, probabilities, dContext, dQkv, dProbabilities, batch, tokens, heads, headDim); Add("AttentionBackward", started); }

    /// <inheritdoc/>
    public override void Unfold(Tensor images, int batch, int channels, int height, int width, int patch, Tensor patches) { long started = Stopwatch.GetTimestamp(); inner.Unfold(images, batch, channels, height, width, patch, patches); Add("Unfold", started); }

    /// <inheritdoc/>
    public override void Fold(Tensor patches, int batch, int channels, int height, int width, int patch, Tensor images) { long started = Stopwatch.GetTimestamp(); inner.Fold(patches, batch, channels, height, width, patch, images); Add("Fold", started); }

    /// <inheritdoc/>
    public override void Copy(Tensor src, long srcOffset, Tensor dst, long dstOffset, long count) { long started = Stopwatch.GetTimestamp(); inner.Copy(src, srcOffset, dst, dstOffset, count); Add("Copy", started); }

    /// <inheritdoc/>
    public override void Clear(Tensor t) { long started = Stopwatch.GetTimestamp(); inner.Clear(t); Add("Clear", started); }

    /// <inheritdoc/>
    public override void Add(Tensor a, Tensor b, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Add(a, b, y); Add("Add", started); }

    /// <inheritdoc/>
    public override void AddAt(Tensor y, long yOffset, Tensor x, long xOffset, long count) { long started = Stopwatch.GetTimestamp(); inner.AddAt(y, yOffset, x, xOffset, count); Add("AddAt", started); }

    /// <inheritdoc/>
    public override void Multiply(Tensor a, Tensor b, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Multiply(a, b, y); Add("Multiply", started); }

    /// <inheritdoc/>
    public override void Scale(Tensor x, float s, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Scale(x, s, y); Add("Scale", started); }

    /// <inheritdoc/>
    public override void AddScalar(Tensor x, float s, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.AddScalar(x, s, y); Add("AddScalar", started); }

    /// <inheritdoc/>
    public override void Maximum(Tensor x, float s, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Maximum(x, s, y); Add("Maximum", started); }

    /// <inheritdoc/>
    public override void Minimum(Tensor x, float s, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Minimum(x, s, y); Add("Minimum", started); }

    /// <inheritdoc/>
    public override void MultiplyColumns(Tensor x, Tensor gamma, Tensor y, int rows, int cols) { long started = Stopwatch.GetTimestamp(); inner.MultiplyColumns(x, gamma, y, rows, cols); Add("MultiplyColumns", started); }

    /// <inheritdoc/>
    public override void AccumulateColumnProducts(Tensor a, Tensor b, Tensor sum, int rows, int cols) { long started = Stopwatch.GetTimestamp(); inner.AccumulateColumnProducts(a, b, sum, rows, cols); Add("AccumulateColumnProducts", started); }

    /// <inheritdoc/>
    public override void AccumulateRows(Tensor x, long offset, int rows, int cols, Tensor sum, long sumOffset) { long started = Stopwatch.GetTimestamp(); inner.AccumulateRows(x, offset, rows, cols, sum, sumOffset); Add("AccumulateRows", started); }

    /// <inheritdoc/>
    public override void MeanOfRows(Tensor x, int batch, int tokens, int cols, int first, int count, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.MeanOfRows(x, batch, tokens, cols, first, count, y); Add("MeanOfRows", started); }

    /// <inheritdoc/>
    public override void RowSums(Tensor x, int rows, int cols, Tensor sums) { long started = Stopwatch.GetTimestamp(); inner.RowSums(x, rows, cols, sums); Add("RowSums", started); }

    /// <inheritdoc/>
    public override void SafeDivide(Tensor a, Tensor z, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.SafeDivide(a, z, y); Add("SafeDivide", started); }

    /// <inheritdoc/>
    public override void Divide(Tensor a, Tensor z, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Divide(a, z, y); Add("Divide", started); }

    /// <inheritdoc/>
    public override void EpsilonDivide(Tensor a, Tensor z, float epsilon, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.EpsilonDivide(a, z, epsilon, y); Add("EpsilonDivide", started); }

    /// <inheritdoc/>
    public override void Subtract(Tensor a, Tensor b, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.Subtract(a, b, y); Add("Subtract", started); }

    /// <inheritdoc/>
    public override void ScaleRows(Tensor x, Tensor factors, int rows, int cols, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.ScaleRows(x, factors, rows, cols, y); Add("ScaleRows", started); }

    /// <inheritdoc/>
    public override void CenterRows(Tensor x, int rows, int cols, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.CenterRows(x, rows, cols, y); Add("CenterRows", started); }

    /// <inheritdoc/>
    public override void ClearStrided(int rows, int cols, Tensor y, long yOffset, int ldy) { long started = Stopwatch.GetTimestamp(); inner.ClearStrided(rows, cols, y, yOffset, ldy); Add("ClearStrided", started); }

    /// <inheritdoc/>
    public override void SplitSigns(Tensor x, int rows, int cols, Tensor stacked) { long started = Stopwatch.GetTimestamp(); inner.SplitSigns(x, rows, cols, stacked); Add("SplitSigns", started); }

    /// <inheritdoc/>
    public override void SelectBySign(Tensor x, Tensor stacked, int rows, int cols, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.SelectBySign(x, stacked, rows, cols, y); Add("SelectBySign", started); }

    /// <inheritdoc/>
    public override void MultiplyStrided(int rows, int cols, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb, float scale, Tensor y, long yOffset, int ldy) { long started = Stopwatch.GetTimestamp(); inner.MultiplyStrided(rows, cols, a, aOffset, lda, b, bOffset, ldb, scale, y, yOffset, ldy); Add("MultiplyStrided", started); }

    /// <inheritdoc/>
    public override double[] SumPerSample(Tensor x, int samples) { long started = Stopwatch.GetTimestamp(); var r = inner.SumPerSample(x, samples); Add("SumPerSample", started); return r; }

    /// <inheritdoc/>
    public override void ScalePerSample(Tensor x, float[] factors, Tensor y) { long started = Stopwatch.GetTimestamp(); inner.ScalePerSample(x, factors, y); Add("ScalePerSample", started); }

    /// <inheritdoc/>
    public override (float[] Min, float[] Max) RangePerSample(Tensor x, int samples) { long started = Stopwatch.GetTimestamp(); var r = inner.RangePerSample(x, samples); Add("RangePerSample", started); return r; }

    /// <inheritdoc/>
    public override void AddOuterPerSample(Tensor z, int samples, int cols, float[] coefficients, Tensor vector) { long started = Stopwatch.GetTimestamp(); inner.AddOuterPerSample(z, samples, cols, coefficients, vector); Add("AddOuterPerSample", started); }

    /// <inheritdoc/>
    public override void AddScaledPerSample(Tensor y, Tensor x, float[] coefficients) { long started = Stopwatch.GetTimestamp(); inner.AddScaledPerSample(y, x, coefficients); Add("AddScaledPerSample", started); }
}
