using Vitmix.Layers;
using Vitmix.Evaluation;
using Vitmix.Explain;
using Vitmix.Model;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Bench;

/// <summary>
/// Cost of the explanations on ViT-B/16 at 224 (random weights): one forward, forward+backward, forward+relevance,
/// each method alone, all methods from one shared pass, and the same methods as separate passes; batch 1 and 16.
/// Also a 100-step deletion curve (batched) against 101 batch-1 forwards. `quick explain [deletion | deletion-only] [write-vitb PATH]`; `quick explain lrp-variants`.
/// </summary>
public static class ExplainBench
{
    static double Once(Action a)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>Wall time and this process's CPU time (all threads) of <paramref name="a"/>, in ms. On a shared machine the
    /// CPU time moves less with the load than the wall time does.</summary>
    static (double Wall, double Cpu) WallAndCpu(Action a)
    {
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a();
        double wall = sw.Elapsed.TotalMilliseconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    /// <summary>
    /// `quick explain surveyed [batch1]`: the other methods the ViTmiX talk surveys, each alone from its own pass, in
    /// ms per image and in forwards of the same batch size; ViT-CX's cost is its number of masks (2 masked forwards
    /// each), which is printed.
    /// </summary>
    static int Surveyed(VisionTransformer model, bool batch1Only)
    {
        foreach (int batch in batch1Only ? new[] { 1 } : new[] { 1, 16 })
        {
            var images = RandomVit.Images(model.Config, batch, seed: 2);
            double T(Action a) => batch == 1 ? QuickBench.Median(a, 4000) : Once(a);
            double forward = T(() => model.Forward(images));
            Console.WriteLine($"ViT-B/16 224, batch {batch}: forward {forward:F1} ms ({forward / batch:F1} ms/image)");
            foreach (var (name, e) in new (string, IExplainer)[] { ("rollout", new AttentionRollout()), ("attnflow", new AttentionFlow()), ("tam", new TransitionAttentionMaps()), ("vitcx", new ViTCausalExplanation()) })
            {
                var set = new ExplainerSet([e]);
                double ms = name == "vitcx" ? Once(() => set.Explain(model, images)) : T(() => set.Explain(model, images));
                Console.WriteLine($"  {name,-10} {ms,10:F1} ms  {ms / batch,9:F1} ms/image  {ms / forward,7:F2} forwards of this batch");
            }
            var one = new Vitmix.Engine.Tensor(images.Data.AsSpan(0, 3 * 224 * 224).ToArray(), 1, 3, 224, 224);
            var masks = ViTCausalExplanation.Masks(model, one, model.Config.Depth - 1, 0.1);
            double clusterMs = Once(() => ViTCausalExplanation.Masks(model, one, model.Config.Depth - 1, 0.1));
            Console.WriteLine($"  vitcx: {masks.GridWeights.Length} masks from {masks.Labels.Length} channels (clustering {clusterMs:F0} ms), so {2 * masks.GridWeights.Length} masked forwards per image");
        }
        return 0;
    }

    /// <summary>
    /// `quick explain lrp-variants`: Chefer's full LRP beside AttnLRP and CP-LRP, each from its own pass at batch 1,
    /// in ms per image and in forwards, with the conservation Σ R(input) / logit the latter two report.
    /// </summary>
    static int LrpVariants(VisionTransformer model)
    {
        var images = RandomVit.Images(model.Config, 1, seed: 2);
        double forward = QuickBench.Median(() => model.Forward(images), 4000);
        Console.WriteLine($"ViT-B/16 224, batch 1: forward {forward:F1} ms");
        foreach (var (name, e) in new (string, IExplainer)[] { ("fulllrp", new FullLrp()), ("attnlrp", new AttnLrp()), ("cplrp", new CpLrp()) })
        {
            var set = new ExplainerSet([e]);
            double ms = QuickBench.Median(() => set.Explain(model, images), 6000);
            var checks = set.Explain(model, images)[0].Checks;
            string conservation = checks.TryGetValue(name + ".conservation", out double c) ? $", conservation {c:F4}" : "";
            Console.WriteLine($"  {name,-10} {ms,8:F1} ms  {ms / forward,6:F2} forwards{conservation}");
        }
        return 0;
    }

    /// <summary>
    /// `quick explain newer`: the methods of issue 19 on ViT-B/16, each alone from its own pass, in forwards of the same
    /// batch; the shared-pass ones (GAE, AttnLRP, CP-LRP) at batch 1 and 16, the ones that run their own batches per
    /// image (IG, SmoothGrad, TIS) at batch 1 only, since a batch of images runs them image after image. Then token
    /// deletion against RISE's pixel deletion, 100 steps, three maps of one image.
    /// </summary>
    /// <summary>
    /// `quick explain newer many-pass-16` (or `many-pass-1`): IG, SmoothGrad and TIS on a batch of 16 images (or one), each
    /// timed once (about half an hour in all on two cores at 16), in forwards of the batch, beside the batch's own forward.
    /// </summary>
    static int ManyPass(VisionTransformer model, int batch)
    {
        var sixteen = RandomVit.Images(model.Config, batch, seed: 2);
        model.Forward(sixteen);
        double forward16 = QuickBench.Median(() => model.Forward(sixteen), 3000);
        Console.WriteLine($"ViT-B/16 224, batch {batch}: forward {forward16:F1} ms ({forward16 / batch:F1} ms/image)");
        foreach (var (name, e) in new (string, IExplainer)[]
        {
            ("smooth-saliency (25)", ExplainerSet.Parse("smooth-saliency").Explainers[0]), ("ig (50 steps)", new IntegratedGradients()), ("tis (1024 masks)", new TransformerInputSampling()),
        })
        {
            double ms = Once(() => new ExplainerSet([e]).Explain(model, sixteen));
            Console.WriteLine($"  {name,-22} {ms,10:F1} ms  {ms / forward16,7:F2} forwards of the batch ({ms / batch:F1} ms/image)");
        }
        return 0;
    }

    static int Newer(VisionTransformer model, bool deletionOnly, bool sharedOnly, bool native = false)
    {
        var one = RandomVit.Images(model.Config, 1, seed: 2);
        double forward1 = QuickBench.Median(() => model.Forward(one), 4000);
        Console.WriteLine($"ViT-B/16 224, batch 1: forward {forward1:F1} ms");
        if (deletionOnly) goto Deletion;
        foreach (var (name, e) in new (string, IExplainer)[]
        {
            ("gae", new GenericAttentionExplainability()), ("attnlrp", new AttnLrp()), ("cplrp", new CpLrp()),
            ("ig (50 steps)", new IntegratedGradients()), ("smooth-saliency (25)", ExplainerSet.Parse("smooth-saliency").Explainers[0]), ("tis (1024 masks)", new TransformerInputSampling()),
        }.Where(m => !sharedOnly || m.Item1 is "gae" or "attnlrp" or "cplrp"))
        {
            var set = new ExplainerSet([e]);
            // The one-pass methods are timed as medians after a warm-up; the long ones once (a warm-up is one of their many passes).
            double ms = name is "gae" or "attnlrp" or "cplrp" ? QuickBench.Median(() => set.Explain(model, one), 4000) : Once(() => set.Explain(model, one));
            Console.WriteLine($"  {name,-22} {ms,10:F1} ms  {ms / forward1,7:F2} forwards");
        }
        var sixteen = RandomVit.Images(model.Config, 16, seed: 2);
        double forward16 = Once(() => model.Forward(sixteen));
        Console.WriteLine($"ViT-B/16 224, batch 16: forward {forward16:F1} ms ({forward16 / 16:F1} ms/image)");
        if (sharedOnly) forward16 = Math.Min(forward16, Once(() => model.Forward(sixteen)));
        foreach (var (name, e) in new (string, IExplainer)[] { ("gae", new GenericAttentionExplainability()), ("attnlrp", new AttnLrp()), ("cplrp", new CpLrp()) })
        {
            // (batch 16: warmed once, then timed once)
            var set = new ExplainerSet([e]);
            set.Explain(model, sixteen);   // warm-up: the batch's buffer sizes enter the arena
            double ms = Once(() => set.Explain(model, sixteen));
            Console.WriteLine($"  {name,-22} {ms,10:F1} ms  {ms / forward16,7:F2} forwards of the batch ({ms / 16:F1} ms/image)");
        }
        if (sharedOnly) return 0;
    Deletion:
        var grids = Enumerable.Range(0, 3).Select(m => { var r = new Random(10 + m); return Enumerable.Range(0, model.Config.NumPatches).Select(_ => (float)r.NextDouble()).ToArray(); }).ToList();
        var pixelMaps = grids.Select(g => { var px = new float[224 * 224]; Vitmix.Engine.BilinearResize.Resize(g, 14, 14, px, 224, 224); return px; }).ToList();
        // "native": each curve at its own finest reference resolution instead of 100 steps each: the token curve one
        // patch per step (196 steps), RISE's single-image curve 224 pixels per step (224 steps; formats.md §7.1).
        int tokenSteps = native ? model.Config.NumPatches : 100, pixelSteps = native ? 224 * 224 / 224 : 100;
        Console.WriteLine($"token curve {tokenSteps} steps, pixel curve {pixelSteps} steps, 3 maps of one image");
        void Token() => TokenCurves.Compute(model, one, 0, grids, CurveKind.Deletion, tokenSteps);
        void Pixel()
        {
            var set = new CurveSet(model, one, new PerturbationOptions { Steps = pixelSteps, BatchSize = 32, TargetClass = 0 });
            foreach (var px in pixelMaps) set.Add(CurveKind.Deletion, px);
            set.Compute();
        }
        // Each twice to warm up (JIT, buffer sizes), then alternately five times, so a change of load on a shared machine
        // falls on both; the ratio is of the fastest runs, with every run printed.
        // two warm-up rounds: in the first timed token run of a single round, code that runs a few times per curve
        // (batch planning, the row gathers) was still being tiered up
        for (int warm = 0; warm < 2; warm++)
        {
            Token();
            Pixel();
        }
        var tokens = new List<(double Wall, double Cpu)>();
        var pixels = new List<(double Wall, double Cpu)>();
        for (int i = 0; i < 5; i++)
        {
            tokens.Add(WallAndCpu(Token));
            pixels.Add(WallAndCpu(Pixel));
        }
        Console.WriteLine($"token runs {string.Join(", ", tokens.Select(t => $"{t.Wall:F0} ms (cpu {t.Cpu:F0})"))}; pixel runs {string.Join(", ", pixels.Select(t => $"{t.Wall:F0} ms (cpu {t.Cpu:F0})"))}");
        Console.WriteLine($"ratios, wall {string.Join(", ", tokens.Zip(pixels, (t, p) => $"{t.Wall / p.Wall:F2}"))}; cpu {string.Join(", ", tokens.Zip(pixels, (t, p) => $"{t.Cpu / p.Cpu:F2}"))}; fastest cpu {tokens.Min(t => t.Cpu) / pixels.Min(p => p.Cpu):F2}");
        var wallRatios = tokens.Zip(pixels, (t, p) => t.Wall / p.Wall).Order().ToArray();
        Console.WriteLine($"median wall ratio {wallRatios[wallRatios.Length / 2]:F3}, highest {wallRatios[^1]:F3}");
        double token = tokens.Min(t => t.Wall), pixel = pixels.Min(p => p.Wall);
        Console.WriteLine($"deletion: pixel (RISE) {pixel:F0} ms = {pixel / forward1:F1} forwards; token {token:F0} ms = {token / forward1:F1} forwards ({token / pixel:F2}x)");
        return 0;
    }

    public static int Run(string[] args)
    {
        var model = RandomVit.Create(new VitConfig(), seed: 1);
        if (args.Contains("write-vitb"))
        {
            // A ViT-B/16 checkpoint (346 MB of F32, timm names) for load-time and memory measurements.
            string path = args[Array.IndexOf(args, "write-vitb") + 1];
            SafeTensorsWriter.WriteModel(path, model);
            Console.WriteLine($"wrote {path}");
            return 0;
        }
        if (args.Contains("surveyed")) return Surveyed(model, args.Contains("batch1"));
        if (args.Contains("newer") && args.Contains("many-pass-16")) return ManyPass(model, 16);
        if (args.Contains("newer") && args.Contains("many-pass-1")) return ManyPass(model, 1);
        if (args.Contains("newer")) return Newer(model, args.Contains("deletion-only"), args.Contains("shared-only"), args.Contains("native"));
        if (args.Contains("lrp-variants")) return LrpVariants(model);
        var methods = new (string Name, IExplainer Explainer)[]
        {
            ("rollout", new AttentionRollout()), ("gradcam", new AttentionGradCam()), ("saliency", new Saliency()),
            ("lrp", new TransformerAttribution()), ("fulllrp", new FullLrp()), ("gae", new GenericAttentionExplainability()),
        };
        // "deletion-only" times just the deletion curve: one timed curve per batch size, a couple of minutes in all.
        bool deletionOnly = args.Contains("deletion-only");
        foreach (int batch in deletionOnly ? [] : args.Contains("batch1") ? new[] { 1 } : new[] { 1, 16 })
        {
            var images = RandomVit.Images(model.Config, batch, seed: 2);
            double target = batch == 1 ? 6000 : 30000;
            Console.WriteLine($"ViT-B/16 224, batch {batch} (median ms)");
            // Batch 16 explanations take tens of seconds each: one timed run after the batch-1 warm-up.
            double T(Action a) => batch == 1 ? QuickBench.Median(a, target) : Once(a);
            double forward = T(() => model.Forward(images));
            double withBackward = T(() => ExplanationPass.Compute(model, images, PassRequirements.InputGradient | PassRequirements.AttentionGradients));
            double withRelevance = T(() => ExplanationPass.Compute(model, images, PassRequirements.AttentionRelevance));
            double threePasses = withBackward + withRelevance - forward;
            Console.WriteLine($"  forward                                {forward,9:F1}");
            Console.WriteLine($"  forward + backward                     {withBackward,9:F1}");
            Console.WriteLine($"  forward + relevance                    {withRelevance,9:F1}");
            Console.WriteLine($"  one forward + backward + relevance     {threePasses,9:F1}  (= the two above minus one forward)");
            double separate = 0;
            foreach (var (name, e) in methods)
            {
                var set = new ExplainerSet([e]);
                double ms = T(() => set.Explain(model, images));
                separate += name is "fulllrp" or "gae" ? 0 : ms;
                Console.WriteLine($"  {name,-38} {ms,9:F1}  ({ms / forward:F2} forwards)");
            }
            var four = new ExplainerSet(methods.Take(4).Select(m => m.Explainer));
            var all = new ExplainerSet(methods.Take(5).Select(m => m.Explainer));
            double fourMs = T(() => four.Explain(model, images));
            double allMs = T(() => all.Explain(model, images));
            Console.WriteLine($"  four ViTmiX maps, one shared pass      {fourMs,9:F1}  ({fourMs / threePasses:F2} x one forward+backward+relevance; {fourMs / forward:F2} forwards)");
            Console.WriteLine($"  four ViTmiX maps, as separate passes   {separate,9:F1}  ({separate / fourMs:F2} x the shared pass)");
            Console.WriteLine($"  all five methods, one shared pass      {allMs,9:F1}  ({allMs / threePasses:F2} x one forward+backward+relevance)");
        }
        if (args.Contains("deletion") || deletionOnly)
        {
            var image = RandomVit.Images(model.Config, 1, seed: 3);
            var map = new float[224 * 224];
            var rng = new Random(4);
            for (int i = 0; i < map.Length; i++) map[i] = (float)rng.NextDouble();
            double forward = QuickBench.Median(() => model.Forward(image), 6000);
            foreach (int bs in new[] { 16, 32 })
            {
                var curve = new DeletionCurve(model, new PerturbationOptions { Steps = 100, BatchSize = bs });
                double ms = deletionOnly ? Once(() => curve.Compute(image, map)) : QuickBench.Median(() => curve.Compute(image, map), 1);
                Console.WriteLine($"  deletion curve, 100 steps, batches of {bs,2}: {ms,9:F1} ms = {ms / forward:F1} batch-1 forwards (forward {forward:F1} ms; 101 forwards = {101 * forward:F0} ms)");
            }
        }
        return 0;
    }
}
