using Vitmix.Evaluation;
using Vitmix.Explain;
using Vitmix.Fusion;

namespace Vitmix.Tests.Evaluation;

public class CombinationEvaluatorTests
{
    [Theory, MemberData(nameof(GoldenData.SetImages), MemberType = typeof(GoldenData))]
    public void GoldenGridsThroughTheWholeChainReproduceManifestMetrics(string set, string image)
    {
        // Golden fusion inputs under the CLI's method names; the chain must reproduce the manifest's numbers.
        var names = new Dictionary<string, string> { ["lrp"] = "LRP", ["saliency"] = "saliency", ["rollout"] = "rollout", ["gradcam"] = "CAM" };
        var maps = names.ToDictionary(kv => kv.Key, kv =>
        {
            var a = GoldenData.Npy(set, image, $"fusion/{kv.Value}__grid.npy");
            return new Heatmap(a.ToFloat(), a.Shape[0], a.Shape[1]);
        });
        var truth = GoldenData.Npy(set, image, "gt_mask.npy").Values.Select(v => (byte)v).ToArray();
        int s = (int)Math.Sqrt(truth.Length);
        var specs = FusionSpecParser.Combinations(["lrp", "saliency", "rollout", "gradcam"], [1, 2], ["sqrt", "product"]);
        var results = CombinationEvaluator.Run(maps, specs, s, s, truth: truth);
        var fusion = GoldenData.ImageEntry(set, image).GetProperty("fusion");
        var summary = new SegmentationSummary(ZeroDivision.Zero);
        summary.Add(results);
        foreach (var r in results)
        {
            string key = string.Join("+", r.Spec.Methods.Select(m => names[m]))
                + (r.Spec.Fusion switch { "single" => "", "product" => "_multiply", var f => "_" + f });
            var want = fusion.GetProperty(key);
            Assert.Equal(want.GetProperty("otsu_threshold").GetDouble(), r.Mask.Threshold);
            var scores = r.Scores(ZeroDivision.Zero)!.Value;
            // End-to-end from golden grids: the mask may differ by a pixel or two, so metrics agree closely, not bit-exactly.
            Assert.True(Math.Abs(want.GetProperty("iou").GetDouble() - scores.Iou) < 0.02, $"{key} iou");
            Assert.True(Math.Abs(want.GetProperty("pixel_accuracy").GetDouble() - scores.Recall) < 0.02, $"{key} recall");
        }
        var rows = summary.Results();
        Assert.Equal(specs.Count, rows.Count);
        Assert.All(rows, r => Assert.Equal(1, r.Images));
        Assert.All(rows, r => Assert.Equal(r.MeanPerImage.Iou, r.Pooled.Iou, 12)); // one image: mean = pooled
    }
}
