using System.Diagnostics;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Bench;

/// <summary>
/// Where the time of a pass goes (`quick breakdown [batch1]`): ViT-B/16 at 224 on a <see cref="TimingBackend"/>; for the
/// forward, forward + backward and the four ViTmiX maps, the time in matrix products (GEMMs and the fused attention
/// kernels) and in everything else, and a projection onto a machine whose GEMMs are faster by a given factor.
/// </summary>
public static class BreakdownBench
{
    static readonly string[] Products = ["Linear", "LinearBackward", "MatMul", "MatMulPerHead", "Attention", "AttentionBackward"];

    public static int Run(string[] args)
    {
        var timing = new TimingBackend(Vitmix.Engine.ComputeBackend.Cpu);
        var random = RandomVit.Create(new VitConfig(), seed: 1);
        var model = new VisionTransformer(random.Config, random.Weights) { Backend = timing };
        var four = ExplainerSet.Parse("rollout,gradcam,saliency,lrp");
        if (args.Contains("token")) return TokenCurve(model, timing);
        foreach (int batch in args.Contains("batch1") ? new[] { 1 } : new[] { 1, 16 })
        {
            var images = RandomVit.Images(model.Config, batch, seed: 2);
            (double Total, double Products) Time(Action a)
            {
                // two warm-ups: the first call also compiles (tiered JIT), the second settles the buffer arena
                a();
                a();
                timing.Clear();
                var sw = Stopwatch.StartNew();
                a();
                double total = sw.Elapsed.TotalMilliseconds;
                return (total, timing.Times.Where(kv => Products.Contains(kv.Key)).Sum(kv => kv.Value.Ms));
            }
            var passes = new[]
            {
                ("forward", Time(() => model.Forward(images))),
                ("forward + backward", Time(() => ExplanationPass.Compute(model, images, PassRequirements.InputGradient | PassRequirements.AttentionGradients).Dispose())),
                ("four ViTmiX maps, one pass", Time(() => four.Explain(model, images))),
            };
            foreach (var (name, t) in passes)
                Console.WriteLine($"batch {batch,2}  {name,-28} {t.Total,9:F0} ms  products {t.Products,9:F0} ms  other {t.Total - t.Products,8:F0} ms ({(t.Total - t.Products) / t.Total:P1})");
            var f = passes[0].Item2;
            foreach (double rest in new[] { 1.0, 1.5, 2.0 })
            {
                // AVX-512 machine / this one, Linear GEMMs: 417-445 vs ~70 GFLOP/s (performance-notes.md, docs/benchmarks.md)
                double Projected((double Total, double Products) t) => t.Products / 6 + (t.Total - t.Products) / rest;
                Console.WriteLine($"  products 6x and the rest {rest}x faster: forward + backward {Projected(passes[1].Item2) / Projected(f):F2}, four maps {Projected(passes[2].Item2) / Projected(f):F2} forwards");
            }
        }
        return 0;
    }

    /// <summary>`quick breakdown token`: a 100-step token deletion curve of three maps, by operation, after a warm-up.</summary>
    static int TokenCurve(VisionTransformer model, TimingBackend timing)
    {
        var one = RandomVit.Images(model.Config, 1, seed: 2);
        var grids = Enumerable.Range(0, 3).Select(m => { var r = new Random(10 + m); return Enumerable.Range(0, model.Config.NumPatches).Select(_ => (float)r.NextDouble()).ToArray(); }).ToList();
        Vitmix.Evaluation.TokenCurves.Compute(model, one, 0, grids, Vitmix.Evaluation.CurveKind.Deletion, 100);
        timing.Clear();
        var sw = Stopwatch.StartNew();
        Vitmix.Evaluation.TokenCurves.Compute(model, one, 0, grids, Vitmix.Evaluation.CurveKind.Deletion, 100);
        double total = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine($"token deletion, 100 steps, 3 maps: {total:F0} ms");
        foreach (var (name, (ms, calls)) in timing.Times.OrderByDescending(kv => kv.Value.Ms))
            Console.WriteLine($"  {name,-22} {ms,9:F1} ms  {calls,6} calls");
        Console.WriteLine($"  {"(outside the backend)",-22} {total - timing.Times.Sum(kv => kv.Value.Ms),9:F1} ms");
        return 0;
    }
}
