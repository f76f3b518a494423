namespace Vitmix.Engine;

/// <summary>
/// The one seam for compute: every tensor operation the model's layers and the LRP rules perform goes through a
/// backend, so another one (a GPU backend) can be added without touching layers, rules or explainers. Tensors are
/// row-major; "rows × cols" operands are the leading elements of the tensor unless an offset is given. Operations
/// overwrite their output unless their name says they accumulate (<c>Accumulate…</c>, <c>Add…At</c>).
/// Outputs may alias inputs only where a method says so. <see cref="Cpu"/> is the managed, vectorised
/// implementation (packed SGEMM, TensorPrimitives) and the reference every other backend is tested against.
/// </summary>
public abstract class ComputeBackend
{
    /// <summary>The managed CPU backend.</summary>
    public static ComputeBackend Cpu => CpuBackend.Instance;

    // ---- Linear algebra ----

    /// <summary>BLAS sgemm on sub-matrices: C = alpha·op(A)·op(B) + beta·C (beta 0 never reads C).</summary>
    public abstract void MatMul(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb, float beta, Tensor c, long cOffset, int ldc);

    /// <summary><see cref="MatMul"/> for every (sample, head) pair: C_ih = alpha·op(A_ih)·op(B_ih) + beta·C_ih.</summary>
    public abstract void MatMulPerHead(int batch, int heads, bool transA, bool transB, int m, int n, int k, float alpha,
        HeadView a, HeadView b, float beta, HeadView c);

    /// <summary>A linear layer: y (rows, outDim) = x (rows, inDim) · Wᵀ (+ bias).</summary>
    public abstract void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int inDim, int outDim);

    /// <summary>
    /// Backward of <see cref="Linear"/>: dx = dy·W; when given, dWeight += dyᵀ·x and dBias += Σ_rows dy (rows in order).
    /// </summary>
    public abstract void LinearBackward(Tensor dy, Tensor x, Tensor weight, Tensor dx, int rows, int inDim, int outDim,
        Tensor? dWeight, Tensor? dBias);

    // ---- Layer kernels ----

    /// <summary>LayerNorm over the last dimension (biased variance); mean and rstd, when given, receive the row statistics.</summary>
    public abstract void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, int rows, int dim, Tensor y, Tensor? mean, Tensor? rstd);

    /// <summary>Backward of <see cref="LayerNorm"/>; accumulates into dWeight and dBias when given.</summary>
    public abstract void LayerNormBackward(Tensor x, Tensor dy, Tensor weight, Tensor mean, Tensor rstd, int rows, int dim,
        Tensor dx, Tensor? dWeight, Tensor? dBias);

    /// <summary>Exact (erf) GELU, element-wise; y may alias x.</summary>
    public abstract void Gelu(Tensor x, Tensor y);

    /// <summary>dx = dy · GELU′(x); dx may alias dy.</summary>
    public abstract void GeluBackward(Tensor x, Tensor dy, Tensor dx);

    /// <summary>QuickGELU x·σ(1.702x) (<see cref="Engine.QuickGelu"/>), element-wise; y may alias x. Managed by default.</summary>
    public virtual void QuickGelu(Tensor x, Tensor y) => Engine.QuickGelu.Forward(x.Data, y.Data);

    /// <summary>dx = dy · QuickGELU′(x); dx may alias dy. Managed by default.</summary>
    public virtual void QuickGeluBackward(Tensor x, Tensor dy, Tensor dx) =>
        Engine.QuickGelu.Backward(x.Data, dy.Data, dx.Data);

    /// <summary>GELU in its tanh form (<see cref="Engine.GeluTanh"/>), element-wise; y may alias x. Managed by default.</summary>
    public virtual void GeluTanh(Tensor x, Tensor y) => Engine.GeluTanh.Forward(x.Data, y.Data);

    /// <summary>dx = dy · GELU_tanh′(x); dx may alias dy. Managed by default.</summary>
    public virtual void GeluTanhBackward(Tensor x, Tensor dy, Tensor dx) => Engine.GeluTanh.Backward(x.Data, dy.Data, dx.Data);

    /// <summary>In place, each of <paramref name="rows"/> contiguous rows of x becomes its softmax. Managed by default.</summary>
    public virtual void SoftmaxRows(Tensor x, int rows, int cols) => Engine.Softmax.Rows(x.Data, rows, cols);

    /// <summary>Backward of <see cref="SoftmaxRows"/>: dx = p ⊙ (dp − Σ p·dp) per row; dx may alias dp. Managed by default.</summary>
    public virtual void SoftmaxRowsBackward(Tensor p, Tensor dp, Tensor dx, int rows, int cols) =>
        Engine.Softmax.RowsBackward(p.Data, dp.Data, dx.Data, rows, cols);

    /// <summary>
    /// Multi-head self-attention core on a fused projection qkv (B, N, 3D) (q, k, v blocks of D features, heads of
    /// headDim consecutive features each): per (sample, head) softmax(q·kᵀ/√headDim)·v into context (B, N, D), heads
    /// concatenated. The probabilities (B, H, N, N) are written to <paramref name="probabilities"/> when it is given.
    /// </summary>
    public abstract void Attention(Tensor qkv, Tensor? probabilities, Tensor context, int batch, int tokens, int heads, int headDim);

    /// <summary>
    /// <see cref="Attention(Tensor, Tensor?, Tensor, int, int, int, int)"/> with a constant added to the logits before
    /// the softmax, softmax(q·kᵀ/√headDim + bias)·v (BEiT's relative position bias): <paramref name="logitBias"/> holds
    /// (H, N, N) per sample, sample i's at i·<paramref name="biasSampleStride"/> (0: one bias for every sample). The
    /// backward is <see cref="AttentionBackward"/> unchanged: the bias is a constant.
    /// </summary>
    public abstract void Attention(Tensor qkv, Tensor? probabilities, Tensor context, int batch, int tokens, int heads, int headDim,
        Tensor logitBias, long biasSampleStride);

    /// <summary>
    /// <see cref="Attention(Tensor, Tensor?, Tensor, int, int, int, int)"/> for sequences of different lengths packed one
    /// after another without padding (a <see cref="Layers.PackedSequences"/>): sequence i is the rows offsets[i] to
    /// offsets[i+1] of qkv (T, 3D) and of context (T, D), and attends only to itself. Probabilities are not kept.
    /// </summary>
    public abstract void AttentionPacked(Tensor qkv, Tensor context, int[] offsets, int heads, int headDim);

    /// <summary>
    /// Attention for the first <paramref name="rows"/> queries of each sequence only, against all its keys and values:
    /// what the last block of a pass needs when its readout reads only leading prefix tokens. Sequences are a batch
    /// (<paramref name="batch"/> × <paramref name="tokens"/>) when <paramref name="offsets"/> is null, else packed as in
    /// <see cref="AttentionPacked"/>; <paramref name="logitBias"/> as in the biased
    /// <see cref="Attention(Tensor, Tensor?, Tensor, int, int, int, int, Tensor, long)"/> (a batch only). Sequence i's
    /// outputs are rows i·rows … of <paramref name="context"/> (S, rows, D); every sequence must have that many tokens.
    /// </summary>
    public abstract void AttentionLeadingRows(Tensor qkv, Tensor context, int batch, int tokens, int[]? offsets, int heads, int headDim, int rows,
        Tensor? logitBias = null, long biasSampleStride = 0);

    /// <summary>
    /// Backward of <see cref="Attention(Tensor, Tensor?, Tensor, int, int, int, int)"/> (with or without a logit bias) from dContext to dQkv (overwritten); dProbabilities, when given, receives
    /// the gradient of the post-softmax probabilities (B, H, N, N).
    /// </summary>
    public abstract void AttentionBackward(Tensor qkv, Tensor probabilities, Tensor dContext, Tensor dQkv, Tensor? dProbabilities,
        int batch, int tokens, int heads, int headDim);

    /// <summary>(B, C, H, W) → (B·H/p·W/p, C·p·p): non-overlapping patches, each flattened in (c, ky, kx) order.</summary>
    public abstract void Unfold(Tensor images, int batch, int channels, int height, int width, int patch, Tensor patches);

    /// <summary>The inverse scatter of <see cref="Unfold"/>.</summary>
    public abstract void Fold(Tensor patches, int batch, int channels, int height, int width, int patch, Tensor images);

    // ---- Element-wise and reductions ----

    /// <summary>dst[dstOffset..+count] = src[srcOffset..+count].</summary>
    public abstract void Copy(Tensor src, long srcOffset, Tensor dst, long dstOffset, long count);

    /// <summary>Sets every element to 0.</summary>
    public abstract void Clear(Tensor t);

    /// <summary>y = a + b over the whole length of y; y may alias a or b.</summary>
    public abstract void Add(Tensor a, Tensor b, Tensor y);

    /// <summary>y[yOffset..+count] += x[xOffset..+count].</summary>
    public abstract void AddAt(Tensor y, long yOffset, Tensor x, long xOffset, long count);

    /// <summary>y = a ⊙ b over the whole length of y; y may alias a or b.</summary>
    public abstract void Multiply(Tensor a, Tensor b, Tensor y);

    /// <summary>y = x · s; y may alias x.</summary>
    public abstract void Scale(Tensor x, float s, Tensor y);

    /// <summary>y = x + s; y may alias x.</summary>
    public abstract void AddScalar(Tensor x, float s, Tensor y);

    /// <summary>y = max(x, s) element-wise; y may alias x.</summary>
    public abstract void Maximum(Tensor x, float s, Tensor y);

    /// <summary>y = min(x, s) element-wise; y may alias x.</summary>
    public abstract void Minimum(Tensor x, float s, Tensor y);

    /// <summary>y[r, c] = x[r, c] · gamma[c] over rows × cols (LayerScale); y may alias x.</summary>
    public abstract void MultiplyColumns(Tensor x, Tensor gamma, Tensor y, int rows, int cols);

    /// <summary>sum[c] += Σ_r a[r, c] · b[r, c] over rows × cols, rows in order.</summary>
    public abstract void AccumulateColumnProducts(Tensor a, Tensor b, Tensor sum, int rows, int cols);

    /// <summary>sum[c] += Σ_r x[offset + r·cols + c] for r in [0, rows), rows in order.</summary>
    public abstract void AccumulateRows(Tensor x, long offset, int rows, int cols, Tensor sum, long sumOffset = 0);

    /// <summary>
    /// y[i, c] = (Σ_{t in [first, first+count)} x[i, t, c]) / count for every sample i of x (batch, tokens, cols): the
    /// mean of a run of token rows, summed in token order.
    /// </summary>
    public abstract void MeanOfRows(Tensor x, int batch, int tokens, int cols, int first, int count, Tensor y);

    /// <summary>sums[r] = Σ_c x[r, c] (a row's sum, in column order).</summary>
    public abstract void RowSums(Tensor x, int rows, int cols, Tensor sums);

    // ---- Element-wise operations of the LRP rules ----

    /// <summary>
    /// The LRP-stabilised division of Chefer et al.'s reference code: a / (z + 1e-9), 0 where z == 0, and 1e-9 as the
    /// denominator where z + 1e-9 is exactly 0. y may alias a or z.
    /// </summary>
    public abstract void SafeDivide(Tensor a, Tensor z, Tensor y);

    /// <summary>y = a / z, plain IEEE division; y may alias a or z.</summary>
    public abstract void Divide(Tensor a, Tensor z, Tensor y);

    /// <summary>
    /// LRP-ε's stabilised division (Bach et al. 2015; zennit's and LXT's epsilon rules): y = a / (z + ε·sign z) with
    /// sign 0 = +1, so the denominator keeps z's sign and is never smaller than ε. y may alias a or z.
    /// </summary>
    public abstract void EpsilonDivide(Tensor a, Tensor z, float epsilon, Tensor y);

    /// <summary>y = a − b; y may alias a or b.</summary>
    public abstract void Subtract(Tensor a, Tensor b, Tensor y);

    /// <summary>y[r, c] = x[r, c] · factors[r] over rows × cols (a per-row factor); y may alias x.</summary>
    public abstract void ScaleRows(Tensor x, Tensor factors, int rows, int cols, Tensor y);

    /// <summary>y[r, c] = x[r, c] − (Σ_c' x[r, c']) / cols: every row less its mean; y may alias x.</summary>
    public abstract void CenterRows(Tensor x, int rows, int cols, Tensor y);

    /// <summary>y[r, c] = 0 over strided rows × cols.</summary>
    public abstract void ClearStrided(int rows, int cols, Tensor y, long yOffset, int ldy);

    /// <summary>stacked[r] = [max(x[r], 0) | min(x[r], 0)]: rows of 2·cols.</summary>
    public abstract void SplitSigns(Tensor x, int rows, int cols, Tensor stacked);

    /// <summary>y[r, c] = x[r, c] · (x[r, c] &gt; 0 ? stacked[r, c] : stacked[r, cols + c]).</summary>
    public abstract void SelectBySign(Tensor x, Tensor stacked, int rows, int cols, Tensor y);

    /// <summary>y[r, c] = (a[r, c] · b[r, c]) · scale over strided rows × cols (product rounded, then scaled).</summary>
    public abstract void MultiplyStrided(int rows, int cols, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
        float scale, Tensor y, long yOffset, int ldy);

    /// <summary>The sum of every sample (an equal contiguous share of x), accumulated in double in element order.</summary>
    public abstract double[] SumPerSample(Tensor x, int samples);

    /// <summary>y[i] = x[i] · factors[i] for every sample i (an equal contiguous share); y may alias x.</summary>
    public abstract void ScalePerSample(Tensor x, float[] factors, Tensor y);

    /// <summary>The minimum and maximum of every sample (an equal contiguous share of x).</summary>
    public abstract (float[] Min, float[] Max) RangePerSample(Tensor x, int samples);

    /// <summary>z[i, r, c] += coefficients[i] · vector[c] for z of (samples, rows, cols): a rank-1 shift per sample.</summary>
    public abstract void AddOuterPerSample(Tensor z, int samples, int cols, float[] coefficients, Tensor vector);

    /// <summary>y[i] += x[i] · coefficients[i] for every sample i (product rounded, then added).</summary>
    public abstract void AddScaledPerSample(Tensor y, Tensor x, float[] coefficients);
}
