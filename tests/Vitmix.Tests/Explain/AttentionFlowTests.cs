using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Explain;

/// <summary>
/// Attention Flow: the layered max-flow solver against a plain Edmonds–Karp written here and against hand-solved
/// graphs, and the explainer against the reference's networkx computation on the golden models
/// (tests/reference/attention_flow.py).
/// </summary>
public class AttentionFlowTests
{
    /// <summary>Textbook Edmonds–Karp on an explicit capacity matrix of (L + 1)·N nodes, node = layer·N + token.</summary>
    static double EdmondsKarp(IReadOnlyList<double[]> caps, int n, int source, int sink)
    {
        int layers = caps.Count + 1, v = layers * n;
        var residual = new double[v, v];
        for (int i = 0; i < caps.Count; i++)
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) residual[(i + 1) * n + a, i * n + b] = caps[i][a * n + b];
        int s = (layers - 1) * n + source, t = sink;
        double total = 0;
        while (true)
        {
            var parent = Enumerable.Repeat(-1, v).ToArray();
            parent[s] = s;
            var queue = new Queue<int>([s]);
            while (queue.Count > 0 && parent[t] < 0)
            {
                int u = queue.Dequeue();
                for (int w = 0; w < v; w++)
                    if (parent[w] < 0 && residual[u, w] > 1e-12) { parent[w] = u; queue.Enqueue(w); }
            }
            if (parent[t] < 0) return total;
            double push = double.PositiveInfinity;
            for (int w = t; w != s; w = parent[w]) push = Math.Min(push, residual[parent[w], w]);
            for (int w = t; w != s; w = parent[w]) { residual[parent[w], w] -= push; residual[w, parent[w]] += push; }
            total += push;
        }
    }

    [Theory]
    [InlineData(1, 4, 1)]
    [InlineData(3, 5, 2)]
    [InlineData(4, 6, 3)]
    [InlineData(2, 7, 4)]
    public void LayeredDinic_EqualsEdmondsKarp_OnRandomGraphs(int edgeLayers, int n, int seed)
    {
        var rng = new Random(seed);
        // Sparse-ish capacities (a third are zero), so that cuts and rerouting through reverse arcs both occur.
        var caps = Enumerable.Range(0, edgeLayers).Select(_ => Enumerable.Range(0, n * n).Select(_ => rng.Next(3) == 0 ? 0 : rng.NextDouble()).ToArray()).ToList();
        var solver = new LayeredMaxFlow(caps, n);
        for (int source = 0; source < n; source++)
            for (int sink = 0; sink < n; sink++)
            {
                double expected = EdmondsKarp(caps, n, source, sink), actual = solver.Compute(source, sink);
                Assert.True(Math.Abs(expected - actual) < 1e-9, $"source {source}, sink {sink}: Edmonds–Karp {expected}, Dinic {actual}");
            }
    }

    [Fact]
    public void HandSolvedThreeLayerGraphs()
    {
        // Layers 2 → 1 → 0 with two tokens. From the top token 0: 0.5 to each middle token; the middle tokens pass
        // (0.2, 0.8) and (0.9, 0.1) down. To token 0: min(0.5, 0.2) + min(0.5, 0.9) = 0.7; to token 1: 0.5 + 0.1 = 0.6.
        double[] down = [0.2, 0.8, 0.9, 0.1], top = [0.5, 0.5, 0.3, 0.7];
        var solver = new LayeredMaxFlow([down, top], 2);
        Assert.Equal(0.7, solver.Compute(0, 0), 12);
        Assert.Equal(0.6, solver.Compute(0, 1), 12);
        // From top token 1 (0.3 and 0.7 down): min(0.3, 0.2) + min(0.7, 0.9) = 0.9 and min(0.3, 0.8) + min(0.7, 0.1) = 0.4.
        Assert.Equal(0.9, solver.Compute(1, 0), 12);
        Assert.Equal(0.4, solver.Compute(1, 1), 12);
        // A cut in the middle: nothing reaches token 1 of layer 0 when no edge enters it.
        Assert.Equal(0, new LayeredMaxFlow([[1, 0, 1, 0], top], 2).Compute(0, 1));
    }

    [Fact]
    public void BadCapacities_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new LayeredMaxFlow([[1, double.NaN, 0, 0]], 2));
        Assert.Throws<ArgumentException>(() => new LayeredMaxFlow([[1, -0.5, 0, 0]], 2));
        Assert.Throws<ArgumentException>(() => new LayeredMaxFlow([[1, 0, 0]], 2));
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Explainer_MatchesTheReferencesNetworkxFlows(string set, string image)
    {
        string path = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Explain", "Reference", "attnflow", set, image, "attnflow.npy");
        var expected = Npy.Read(path).ToFloat();
        var e = ExplainerSet.Parse("attnflow").Explain(GoldenData.Model(set), GoldenData.Input(set, image))[0];
        var actual = e.Maps["attnflow"].Values;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"{set}/{image}, patch {i}: {actual[i]} vs networkx's {expected[i]}");
        // Not rollout under another name: the flows differ from the rollout of the same matrices.
        var rollout = ExplainerSet.Parse("rollout").Explain(GoldenData.Model(set), GoldenData.Input(set, image))[0].Maps["rollout"].Values;
        double sum = rollout.Sum();
        Assert.Contains(Enumerable.Range(0, actual.Length), i => Math.Abs(actual[i] - rollout[i] / sum) > 1e-3);
    }

    [Fact]
    public void ExplainWritesItAndFusesItWithLrp()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1];
        var r = CliRunner.Run("explain", GoldenData.Path(set, "images", "square_disk.png"), "--model", GoldenData.Path(set, "weights.safetensors"),
            "--methods", "attnflow,lrp", "--combos", "attnflow+lrp", "--raw", "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.Err);
        var files = Directory.GetFiles(tmp.Path, "*.npy", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains(files, f => f!.StartsWith("attnflow", StringComparison.Ordinal) && !f.Contains("lrp"));
        Assert.Contains(files, f => f!.Contains("attnflow") && f.Contains("lrp"));
    }
}
