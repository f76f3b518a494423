using System.Diagnostics;
using Vitmix.Data;
using Vitmix.Explain;

namespace Vitmix.Bench;

/// <summary>
/// Attention Flow's cost. `quick attnflow DIR`: the graph bench/pytorch/attention_flow.py wrote, every token's max
/// flow timed and checked against networkx's values. `quick attnflow vitb`: the explainer on ViT-B/16 (random
/// weights) at batch 1 and 16, with rollout beside it.
/// </summary>
public static class AttentionFlowBench
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] != "vitb")
        {
            var cap = Npy.Read(Path.Combine(args[0], "capacities.npy"));
            var expected = Npy.Read(Path.Combine(args[0], "flows.npy")).Values;
            int layers = cap.Shape[0], n = cap.Shape[1];
            var caps = Enumerable.Range(0, layers).Select(l => cap.Values.AsSpan(l * n * n, n * n).ToArray()).ToList();
            AttentionFlow.Flows(caps, n, 0); // warm-up
            var sw = Stopwatch.StartNew();
            var flows = AttentionFlow.Flows(caps, n, 0);
            double ms = sw.Elapsed.TotalMilliseconds;
            double worst = flows.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Console.WriteLine($"Vitmix layered Dinic, {layers} layers x {n} tokens: {n} max flows in {ms:F1} ms, {Environment.ProcessorCount} threads; max |flow - networkx| = {worst:G3}");
            return 0;
        }
        var model = RandomVit.Create(new Model.VitConfig(), seed: 1);
        foreach (int batch in new[] { 1, 16 })
        {
            var images = RandomVit.Images(model.Config, batch, seed: 2);
            foreach (var method in new[] { "rollout", "attnflow" })
            {
                var set = ExplainerSet.Parse(method);
                set.Explain(model, images);
                var sw = Stopwatch.StartNew();
                set.Explain(model, images);
                Console.WriteLine($"ViT-B/16 batch {batch,2}: {method,-8} {sw.Elapsed.TotalMilliseconds,9:F0} ms ({sw.Elapsed.TotalMilliseconds / batch:F0} ms/image)");
            }
        }
        return 0;
    }
}
