using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// Attention Flow (Abnar &amp; Zuidema, ACL 2020; reference samiraabnar/attention_flow, attention_graph_util.py:
/// get_adjmat, compute_flows): the attention of every block, averaged over heads, with the residual added and rows
/// renormalised (W = rownorm(mean_h A + I) = ½·mean_h A + ½·I, as for rollout), is a layered graph whose edges from
/// layer l + 1 to layer l carry W_l as capacities; the relevance of input token j is the maximum flow from the class
/// token at the top layer to token j at the input layer, and each token's flow is divided by the flows' sum (the
/// reference's <c>flow_values[u] /= flow_values[u].sum()</c>). The map is the patch tokens' share. A readout other
/// than one token (a patch mean, an attention pool) is one more node above the top layer, with edges of capacity
/// w_i (its readout token weights) to the top layer's tokens, and the flows start there.
/// <para>
/// Exact: one maximum flow per token by <see cref="LayeredMaxFlow"/> (Dinic's algorithm on the dense matrices, all
/// tokens sharing the capacities, one solver per core) where the reference runs networkx's Edmonds–Karp on an
/// adjacency matrix. There is no approximate mode: any cheaper bound (rollout is the product of the same matrices;
/// the min-cut of a single block is an upper bound) answers a different question.
/// </para>
/// </summary>
[Explainer("attnflow", Aliases = ["attention-flow"], Summary = "attention flow, exact maximum flow through the attention graph (Abnar & Zuidema 2020)", InAll = true, Order = 15)]
public sealed class AttentionFlow : IExplainer
{
    /// <inheritdoc/>
    public string Name => "attnflow";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.Attention;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int n = c.NumTokens;
        // Rollout's transition per block: the head mean with the residual, rows renormalised.
        var transition = new float[n * n];
        var capacities = new double[c.Depth][];
        for (int l = 0; l < c.Depth; l++)
        {
            AttentionRollout.FuseHeads(pass, l, sample, HeadFusion.Mean, transition);
            AttentionRollout.AddResidualAndNormalizeRows(transition, n);
            capacities[l] = Array.ConvertAll(transition, v => (double)v);
        }
        var flows = Flows(WithReadout(capacities, pass.ReadoutWeightsOf(sample), n, out int source), n, source);
        double total = flows.Sum();
        var values = new float[c.NumPatches];
        for (int p = 0; p < values.Length; p++) values[p] = total > 0 ? (float)(flows[c.NumPrefixTokens + p] / total) : 0f;
        yield return new(Name, new Heatmap(values, c.GridHeight, c.GridWidth));
    }

    /// <summary>
    /// The capacities as they are when the readout reads one token with weight 1 (the flow starts at that token);
    /// otherwise with a readout layer on top whose node 0 has capacity w_j to token j.
    /// </summary>
    static IReadOnlyList<double[]> WithReadout(double[][] capacities, ReadOnlySpan<float> w, int n, out int source)
    {
        int single = -1, nonzero = 0;
        for (int j = 0; j < n; j++)
            if (w[j] != 0f) { nonzero++; single = j; }
        if (nonzero == 1 && w[single] == 1f)
        {
            source = single;
            return capacities;
        }
        var readout = new double[n * n];
        for (int j = 0; j < n; j++) readout[j] = w[j];
        source = 0;
        return [.. capacities, readout];
    }

    /// <summary>The maximum flow from <paramref name="source"/> at the top layer to every token of layer 0, in parallel over the sinks.</summary>
    public static double[] Flows(IReadOnlyList<double[]> capacities, int tokens, int source)
    {
        var flows = new double[tokens];
        Parallel.For(0, tokens, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new LayeredMaxFlow(capacities, tokens),
            (sink, _, solver) => { flows[sink] = solver.Compute(source, sink); return solver; },
            _ => { });
        return flows;
    }
}
