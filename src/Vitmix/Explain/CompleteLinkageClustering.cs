namespace Vitmix.Explain;

/// <summary>
/// Agglomerative clustering with complete linkage on a precomputed distance matrix, cut at a distance threshold, as
/// scikit-learn's AgglomerativeClustering(n_clusters=None, distance_threshold=t, linkage="complete") does it: clusters
/// merge, closest pair first, while their complete-linkage distance (the largest distance between their members) is
/// below t. Complete linkage is monotone, so merging greedily and stopping at t gives the tree's cut at t.
/// </summary>
public static class CompleteLinkageClustering
{
    /// <summary>
    /// Cluster labels of <paramref name="n"/> points from their (n, n) symmetric <paramref name="distances"/>, numbered
    /// in the order of each cluster's first member (point 0's cluster is 0). The matrix is overwritten.
    /// </summary>
    public static int[] Cluster(double[] distances, int n, double threshold)
    {
        if (distances.Length != n * n) throw new ArgumentException($"{distances.Length} distances for {n} points");
        var parent = new int[n];   // the cluster a point was merged into, until its representative
        var active = new List<int>(n);
        for (int i = 0; i < n; i++) { parent[i] = i; active.Add(i); }
        while (active.Count > 1)
        {
            double best = double.PositiveInfinity;
            int bi = -1, bj = -1;
            for (int a = 0; a < active.Count; a++)
            {
                int i = active[a];
                var row = distances.AsSpan(i * n, n);
                for (int b = a + 1; b < active.Count; b++)
                {
                    double d = row[active[b]];
                    if (d < best) (best, bi, bj) = (d, i, active[b]);
                }
            }
            if (!(best < threshold)) break;
            // Lance–Williams for complete linkage: d(k, i ∪ j) = max(d(k, i), d(k, j)); i keeps the merged cluster.
            foreach (int k in active)
            {
                if (k == bi || k == bj) continue;
                double d = Math.Max(distances[k * n + bi], distances[k * n + bj]);
                distances[k * n + bi] = distances[bi * n + k] = d;
            }
            parent[bj] = bi;
            active.Remove(bj);
        }
        var labels = new int[n];
        var numbering = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            int root = i;
            while (parent[root] != root) root = parent[root];
            if (!numbering.TryGetValue(root, out int label)) numbering[root] = label = numbering.Count;
            labels[i] = label;
        }
        return labels;
    }
}
