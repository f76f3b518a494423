namespace Vitmix.Evaluation;

/// <summary>
/// Rankings for the perturbation curves: flat row-major pixel indices, most relevant first, ties broken by ascending
/// flat index (a stable sort of −map; NumPy's default quicksort leaves tie order implementation-defined).
/// </summary>
public static class PixelOrder
{
    /// <summary>Indices of <paramref name="values"/> by value descending, ties by ascending index; NaN ranks last.</summary>
    public static int[] Descending(ReadOnlySpan<float> values)
    {
        int n = values.Length;
        // Array.Sort is unstable: sort (negated key, index) pairs so equal keys stay in index order; NaN → +inf (last).
        var pairs = new (float Key, int Index)[n];
        for (int i = 0; i < n; i++) pairs[i] = (float.IsNaN(values[i]) ? float.PositiveInfinity : -values[i], i);
        Array.Sort(pairs, static (a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Index.CompareTo(b.Index));
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = pairs[i].Index;
        return idx;
    }

    /// <summary>The ViTmiX script's ranking: by a binary mask (object pixels first), ties by ascending index.</summary>
    public static int[] FromMask(ReadOnlySpan<byte> mask)
    {
        var order = new int[mask.Length];
        int k = 0;
        for (int i = 0; i < mask.Length; i++) if (mask[i] != 0) order[k++] = i;
        for (int i = 0; i < mask.Length; i++) if (mask[i] == 0) order[k++] = i;
        return order;
    }

    /// <summary>
    /// Whole patches ranked by a grid map (descending, ties by patch index), each expanded to its pixels in row-major
    /// order: with steps = number of patches, every step perturbs exactly one patch.
    /// </summary>
    public static int[] FromPatches(ReadOnlySpan<float> grid, int gridH, int gridW, int imageH, int imageW)
    {
        if (grid.Length != gridH * gridW) throw new ArgumentException($"grid has {grid.Length} values, expected {gridH}x{gridW}");
        if (imageH % gridH != 0 || imageW % gridW != 0)
            throw new ArgumentException($"image {imageH}x{imageW} is not a whole number of {gridH}x{gridW} patches");
        int ph = imageH / gridH, pw = imageW / gridW;
        var patches = Descending(grid);
        var order = new int[imageH * imageW];
        int k = 0;
        foreach (int p in patches)
        {
            int r0 = p / gridW * ph, c0 = p % gridW * pw;
            for (int r = 0; r < ph; r++)
                for (int c = 0; c < pw; c++) order[k++] = (r0 + r) * imageW + c0 + c;
        }
        return order;
    }

    /// <summary>Checks that <paramref name="order"/> is a permutation of 0..n-1 (e.g. a replayed NumPy order).</summary>
    public static void Validate(ReadOnlySpan<int> order, int n, string source)
    {
        if (order.Length != n) throw new ArgumentException($"{source}: order has {order.Length} entries, expected {n}");
        var seen = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int v = order[i];
            if ((uint)v >= (uint)n || seen[v]) throw new ArgumentException($"{source}: order entry {i} = {v} is out of range or repeated; expected a permutation of 0..{n - 1}");
            seen[v] = true;
        }
    }
}
