using Vitmix.Data;

namespace Vitmix.Tests.Cli;

/// <summary>`vitmix explain` reproduces every golden map, fusion, normalised map and mask end to end.</summary>
public class ExplainCommandTests
{
    public static IEnumerable<object[]> Cases() => GoldenData.SetImages();

    static double MaxDiff(float[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    static string OurName(string goldenKey)
    {
        // "LRP+rollout_sqrt" -> "lrp+rollout.sqrt"; singles keep the method name.
        string methods = goldenKey, fusion = "";
        int us = goldenKey.LastIndexOf('_');
        if (us > 0) { methods = goldenKey[..us]; fusion = goldenKey[(us + 1)..] switch { "multiply" => "product", "geomean" => "gmean", var f => f }; }
        string m = string.Join("+", methods.Split('+').Select(x => x switch { "LRP" => "lrp", "CAM" => "gradcam", var y => y }));
        return fusion.Length == 0 ? m : $"{m}.{fusion}";
    }

    [Theory, MemberData(nameof(Cases))]
    public void ReproducesTheGoldenMapsFusionsAndMasks(string set, string image)
    {
        var manifest = GoldenData.Manifest(set);
        var entry = GoldenData.ImageEntry(set, image);
        int depth = manifest.GetProperty("config").GetProperty("depth").GetInt32();
        int fusionStart = manifest.GetProperty("rollout_start_layer_for_fusion").GetInt32();
        var keys = manifest.GetProperty("fusion_keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        string input = GoldenData.Path(set, image, "input.npy");
        string weights = GoldenData.Path(set, "weights.safetensors");
        var tol = entry.GetProperty("tolerance");
        double Tol(string name) => tol.GetProperty("arrays").GetProperty(name).GetDouble();
        var failures = new List<string>();
        void Check(string what, float[] actual, double[] expected, double tolerance)
        {
            if (actual.Length != expected.Length) { failures.Add($"{what}: {actual.Length} values, expected {expected.Length}"); return; }
            double d = MaxDiff(actual, expected);
            if (!(d <= tolerance)) failures.Add($"{what}: max |diff| {d:G4} > {tolerance:G4}");
        }
        using var tmp = new Vitmix.Tests.Data.Datasets.TempDir();

        // Rollout at every start layer.
        for (int s = 0; s < depth; s++)
        {
            string dir = tmp.Combine($"rollout{s}");
            var r = CliRunner.Run("explain", input, "--model", weights, "--methods", "rollout", "--raw", "--rollout-start-layer", $"{s}", "--out", dir);
            Assert.True(r.ExitCode == 0, r.Err);
            Check($"rollout_s{s}", Npy.Read(Path.Combine(dir, "input", "rollout.npy")).ToFloat(), GoldenData.Array64(set, image, $"rollout_s{s}"), Tol($"rollout_s{s}"));
        }

        // Everything else from one run, with every golden combination.
        var combos = keys.Where(k => k.Contains('+')).Select(k => OurName(k).Split('.')[0]).Distinct();
        string all = tmp.Combine("all");
        var run = CliRunner.Run("explain", input, "--model", weights, "--methods", "all", "--raw", "--rollout-start-layer", $"{fusionStart}",
            "--combos", string.Join(",", combos), "--fusion", "sqrt,product,gmean", "--out", all);
        Assert.True(run.ExitCode == 0, run.Err);
        string o = Path.Combine(all, "input");
        float[] F(string file) => Npy.Read(Path.Combine(o, file)).ToFloat();
        Check("gradcam", F("gradcam.npy"), GoldenData.Array64(set, image, "gradcam_attn"), Tol("gradcam_attn"));
        Check("saliency", F("saliency.npy"), GoldenData.Array64(set, image, "saliency"), Tol("saliency"));
        Check("saliency.pixels", F("saliency.pixels.npy"), GoldenData.Array64(set, image, "saliency_full"), Tol("saliency_full"));
        Check("lrp", F("lrp.npy"), GoldenData.Array64(set, image, "lrp_transformer_attribution_s0"), Tol("lrp_transformer_attribution_s0"));
        Check("fulllrp.pixels", F("fulllrp.pixels.npy"), GoldenData.Array64(set, image, "lrp_full"), Tol("lrp_full"));

        foreach (var key in keys)
        {
            string ours = OurName(key);
            string stem = ours.EndsWith(".single") ? ours[..^7] : ours;
            var grid = GoldenData.Npy(set, image, $"fusion/{key}__grid.npy").Values;
            var norm = GoldenData.Npy(set, image, $"fusion/{key}__norm.npy").Values;
            var mask = GoldenData.Npy(set, image, $"fusion/{key}__mask.npy").Values;
            Check($"{key} grid", F(stem + ".npy"), grid, Tol($"fusion/{key}__grid"));
            Check($"{key} norm", F(stem + ".norm.npy"), norm, Tol($"fusion/{key}__norm"));
            var ourMask = Npy.Read(Path.Combine(o, stem + ".mask.npy")).Values;
            int flips = ourMask.Zip(mask, (a, b) => a != b ? 1 : 0).Sum();
            int allowed = tol.GetProperty("mask_pixels").GetProperty(key).GetInt32();
            if (flips > allowed) failures.Add($"{key} mask: {flips} pixels differ, allowed {allowed}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(File.Exists(Path.Combine(o, "summary.json")));
        Assert.True(File.Exists(Path.Combine(o, "lrp+rollout.gmean.png")));
    }

    [Fact]
    public void AnUnreadableInputIsReportedAndTheOthersStillExplained()
    {
        using var tmp = new Vitmix.Tests.Data.Datasets.TempDir();
        string bad = tmp.Combine("broken.png");
        File.WriteAllText(bad, "not a png");
        string good = GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");
        var r = CliRunner.Run("explain", bad, good, "--model", GoldenData.Path(GoldenData.Sets[0], "weights.safetensors"), "--methods", "rollout,lrp", "--out", tmp.Combine("out"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(r.ErrLines, l => l.Contains("broken.png"));
        Assert.True(File.Exists(tmp.Combine("out", "input", "summary.json")));
        Assert.False(Directory.Exists(tmp.Combine("out", "broken")));
    }
}
