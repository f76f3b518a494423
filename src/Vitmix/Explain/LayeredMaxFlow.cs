namespace Vitmix.Explain;

/// <summary>
/// Exact maximum flow on a layered attention graph, as Attention Flow needs it (Abnar &amp; Zuidema 2020): layers
/// 0 … L of N nodes each, and an edge from node a of layer i + 1 to node b of layer i with capacity C_i[a, b] for every
/// a, b (a dense N×N matrix per layer). The flow goes from one node of the top layer down to one node of layer 0.
/// <para>
/// Dinic's algorithm (breadth-first levels in the residual graph, then blocking flows by depth-first search with a
/// current-arc pointer per node), on the dense matrices themselves: node (i + 1, a) reaches (i, b) while
/// C_i[a, b] − F_i[a, b] &gt; 0 and, through the residual of an edge it receives, (i + 2, c) while F_{i+1}[c, a] &gt; 0.
/// The reference (networkx's Edmonds–Karp on an adjacency matrix of (L + 1)·N nodes) finds one shortest path per
/// augmentation with a breadth-first search over every edge; Dinic saturates all shortest paths of a length in one
/// phase, and the matrices keep each node's arcs contiguous. Flows are summed in double; a residual counts while
/// above <see cref="Epsilon"/> (capacities are attention weights in [0, 1]), so the value is exact to rounding.
/// </para>
/// A solver holds the capacities (read-only, shared) and its own flow and search state, so one solver per thread
/// computes the flows to different sinks in parallel.
/// </summary>
public sealed class LayeredMaxFlow
{
    /// <summary>Residual capacities at or below this are treated as saturated.</summary>
    public const double Epsilon = 1e-12;

    readonly IReadOnlyList<double[]> capacity;
    readonly double[][] flow;
    readonly int layers, n;
    readonly int[] level, arc;
    readonly int[] queue;
    int sinkLayer, sinkNode;

    /// <summary>
    /// A solver over <paramref name="capacities"/>: entry i is C_i (N×N, row-major, rows = layer i + 1, columns =
    /// layer i), so there are capacities.Count + 1 layers. Capacities must be finite and ≥ 0.
    /// </summary>
    public LayeredMaxFlow(IReadOnlyList<double[]> capacities, int nodesPerLayer)
    {
        ArgumentNullException.ThrowIfNull(capacities);
        if (capacities.Count == 0) throw new ArgumentException("a layered graph needs at least one layer of edges");
        if (nodesPerLayer < 1) throw new ArgumentException($"{nodesPerLayer} nodes per layer");
        n = nodesPerLayer;
        foreach (var c in capacities)
        {
            if (c.Length != (long)n * n) throw new ArgumentException($"a capacity matrix has {c.Length} entries, expected {n}x{n}");
            foreach (double v in c)
                if (!double.IsFinite(v) || v < 0) throw new ArgumentException($"capacity {v} is not a finite value ≥ 0");
        }
        capacity = capacities;
        layers = capacities.Count + 1;
        flow = capacities.Select(_ => new double[(long)n * n]).ToArray();
        level = new int[layers * n];
        arc = new int[layers * n];
        queue = new int[layers * n];
    }

    /// <summary>The maximum flow from node <paramref name="source"/> of the top layer to node <paramref name="sink"/> of layer 0.</summary>
    public double Compute(int source, int sink)
    {
        if ((uint)source >= (uint)n || (uint)sink >= (uint)n) throw new ArgumentOutOfRangeException(nameof(sink), $"nodes are 0..{n - 1}");
        foreach (var f in flow) Array.Clear(f);
        sinkLayer = 0;
        sinkNode = sink;
        int s = Index(layers - 1, source), t = Index(0, sink);
        double total = 0;
        while (Levels(s, t))
        {
            Array.Clear(arc);
            for (double pushed; (pushed = Push(layers - 1, source, double.PositiveInfinity)) > Epsilon;) total += pushed;
        }
        return total;
    }

    int Index(int layer, int node) => layer * n + node;

    // Node (layer, a)'s residual arcs, numbered 0 … 2N − 1: arc b < N goes down to (layer − 1, b) with residual
    // C[a, b] − F[a, b]; arc N + c goes up to (layer + 1, c) with residual F_{layer}[c, a] (undoing flow sent down).
    double Residual(int layer, int a, int k)
    {
        if (k < n)
        {
            if (layer == 0) return 0;
            long e = (long)a * n + k;
            return capacity[layer - 1][e] - flow[layer - 1][e];
        }
        if (layer == layers - 1) return 0;
        return flow[layer][(long)(k - n) * n + a];
    }

    bool Levels(int s, int t)
    {
        Array.Fill(level, -1);
        int head = 0, tail = 0;
        level[s] = 0;
        queue[tail++] = s;
        while (head < tail)
        {
            int u = queue[head++], layer = u / n, a = u % n;
            for (int k = 0; k < 2 * n; k++)
            {
                int v = k < n ? (layer > 0 ? Index(layer - 1, k) : -1) : (layer < layers - 1 ? Index(layer + 1, k - n) : -1);
                if (v < 0 || level[v] >= 0 || Residual(layer, a, k) <= Epsilon) continue;
                level[v] = level[u] + 1;
                queue[tail++] = v;
            }
        }
        return level[t] >= 0;
    }

    // Depth-first push along level-increasing residual arcs, resuming each node at its current arc.
    double Push(int layer, int a, double limit)
    {
        if (layer == sinkLayer && a == sinkNode) return limit;
        int u = Index(layer, a);
        for (; arc[u] < 2 * n; arc[u]++)
        {
            int k = arc[u];
            int nextLayer = k < n ? layer - 1 : layer + 1, b = k < n ? k : k - n;
            if (nextLayer < 0 || nextLayer >= layers || level[Index(nextLayer, b)] != level[u] + 1) continue;
            double residual = Residual(layer, a, k);
            if (residual <= Epsilon) continue;
            double pushed = Push(nextLayer, b, Math.Min(limit, residual));
            if (pushed <= Epsilon) continue;
            if (k < n) flow[layer - 1][(long)a * n + b] += pushed;
            else flow[layer][(long)b * n + a] -= pushed;
            return pushed;
        }
        return 0;
    }
}
