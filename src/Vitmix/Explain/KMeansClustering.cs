using Vitmix.Engine;

namespace Vitmix.Explain;

/// <summary>
/// Lloyd's k-means with Euclidean distance, as fast_pytorch_kmeans (KMeans(mode="euclidean"), the library Transformer
/// Input Sampling's reference uses) runs it: centroids start at k distinct points drawn at random (here the first k
/// of a seeded <see cref="SplitMix64"/> shuffle, so runs repeat), every point joins the centroid with the largest
/// 2·x·c − |x|² − |c|² (the nearest; ties to the lower index), each centroid moves to its points' mean (a centroid
/// left without points becomes zero, as the library's NaN-to-zero does), until the squared move of all centroids is at
/// most <c>tolerance</c> or after <c>maxIterations</c>. Distances come from one GEMM per iteration.
/// </summary>
public static class KMeansClustering
{
    /// <summary>The centroids (k × dim, row-major) of <paramref name="count"/> points (count × dim, row-major).</summary>
    public static float[] Centroids(float[] points, int count, int dim, int k, long seed, int maxIterations = 100, double tolerance = 1e-4)
    {
        if (points.Length != (long)count * dim) throw new ArgumentException($"{points.Length} values for {count} points of {dim}");
        if (k < 1 || k > count) throw new ArgumentOutOfRangeException(nameof(k), $"{k} clusters of {count} points");
        var order = Enumerable.Range(0, count).ToArray();
        var random = new SplitMix64(seed, 0);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        var centroids = new float[k * dim];
        for (int c = 0; c < k; c++) points.AsSpan(order[c] * dim, dim).CopyTo(centroids.AsSpan(c * dim, dim));

        var pointNorms = new float[count];
        for (int i = 0; i < count; i++) pointNorms[i] = System.Numerics.Tensors.TensorPrimitives.Dot(points.AsSpan(i * dim, dim), points.AsSpan(i * dim, dim));
        var similarity = new float[(long)count * k];
        var centroidNorms = new float[k];
        var sums = new double[k * dim];
        var members = new int[k];
        var assignment = new int[count];
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            for (int c = 0; c < k; c++) centroidNorms[c] = System.Numerics.Tensors.TensorPrimitives.Dot(centroids.AsSpan(c * dim, dim), centroids.AsSpan(c * dim, dim));
            Gemm.Multiply(false, true, count, k, dim, 2f, points, dim, centroids, dim, 0f, similarity, k);   // 2·x·c
            Parallel.For(0, count, i =>
            {
                var row = similarity.AsSpan(i * k, k);
                int best = 0;
                float bestValue = float.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    float v = row[c] - pointNorms[i] - centroidNorms[c];
                    if (v > bestValue) (bestValue, best) = (v, c);
                }
                assignment[i] = best;
            });
            Array.Clear(sums);
            Array.Clear(members);
            for (int i = 0; i < count; i++)
            {
                int c = assignment[i];
                members[c]++;
                var s = sums.AsSpan(c * dim, dim);
                var p = points.AsSpan(i * dim, dim);
                for (int t = 0; t < dim; t++) s[t] += p[t];
            }
            double moved = 0;
            for (int c = 0; c < k; c++)
                for (int t = 0; t < dim; t++)
                {
                    float next = members[c] > 0 ? (float)(sums[c * dim + t] / members[c]) : 0f;
                    double delta = next - centroids[c * dim + t];
                    moved += delta * delta;
                    centroids[c * dim + t] = next;
                }
            if (moved <= tolerance) break;
        }
        return centroids;
    }
}
