using System.Diagnostics;
using Vitmix.Explain;
using Vitmix.Model;

namespace Vitmix.Bench;

/// <summary>
/// What integrated gradients and the noise tunnel cost per image at batch 1, beside saliency (one forward and
/// backward): `quick ig` on the embedded default model (models/default), `quick ig vitb` on ViT-B/16 with random
/// weights. Each method runs once to warm up, then is timed once.
/// </summary>
public static class IntegratedGradientsBench
{
    public static int Run(string[] args)
    {
        bool vitb = args.Length > 0 && args[0] == "vitb";
        var model = vitb ? RandomVit.Create(new VitConfig(), seed: 1) : ModelLoader.Load(Path.Combine(RepositoryRoot(), "models", "default")).Network;
        string name = vitb ? "ViT-B/16" : "models/default";
        var image = RandomVit.Images(model.Config, 1, seed: 2);
        foreach (var method in vitb ? new[] { "saliency", "ig" } : ["saliency", "ig", "smooth-saliency"])
        {
            var set = ExplainerSet.Parse(method);
            set.Explain(model, image);
            var sw = Stopwatch.StartNew();
            var e = set.Explain(model, image)[0];
            string gap = e.Checks.TryGetValue("ig.completeness-gap", out var g) ? $", completeness gap {g:G3} of y(x) − y(x') = {e.Checks["ig.score-change"]:G4}" : "";
            Console.WriteLine($"{name} batch 1: {set.Settings,-70} {sw.Elapsed.TotalMilliseconds,8:F0} ms{gap}");
        }
        return 0;
    }

    static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Vitmix.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("run from inside the repository");
    }
}
