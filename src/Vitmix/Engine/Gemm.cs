using System.Numerics.Tensors;

namespace Vitmix.Engine;

/// <summary>
/// Single-precision matrix multiply with the BLAS sgemm contract on row-major storage:
/// C = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ, leading dimensions in elements.
/// </summary>
public static class Gemm
{
    /// <summary>C[m×n] = alpha·op(A)[m×k]·op(B)[k×n] + beta·C.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Reference path (to be replaced by the packed SIMD kernel): correct for every case.
        Span<float> row = n <= 4096 ? stackalloc float[n] : new float[n];
        for (int i = 0; i < m; i++)
        {
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                float av = transA ? a[p * lda + i] : a[i * lda + p];
                if (av == 0f) continue;
                if (!transB)
                    TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), av, row, row);
                else
                    for (int j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
            }
            var crow = c.Slice(i * ldc, n);
            if (beta == 0f) TensorPrimitives.Multiply(row, alpha, crow);
            else
            {
                TensorPrimitives.Multiply(crow, beta, crow);
                TensorPrimitives.MultiplyAdd(row, alpha, crow, crow);
            }
        }
    }

    /// <summary>Linear layer y[m×n] = x[m×k]·W[n×k]ᵀ (+ bias[n]).</summary>
    public static void Linear(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> y, int m, int k, int n)
    {
        Multiply(false, true, m, n, k, 1f, x, k, weight, k, 0f, y, n);
        if (!bias.IsEmpty)
            for (int i = 0; i < m; i++)
                TensorPrimitives.Add(y.Slice(i * n, n), bias, y.Slice(i * n, n));
    }

    /// <summary>
    /// Many independent multiplies with fixed strides between consecutive operands (attention heads).
    /// </summary>
    public static void MultiplyBatched(int count, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
    {
        for (int t = 0; t < count; t++)
            Multiply(transA, transB, m, n, k, alpha, a.Slice((int)(t * strideA)), lda,
                b.Slice((int)(t * strideB)), ldb, beta, c.Slice((int)(t * strideC)), ldc);
    }
}
