using SkiaSharp;
using Vitmix.Data;
using Vitmix.Evaluation;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>`vitmix evaluate` end to end on dataset fixtures, void handling, resume and shards.</summary>
public class EvaluateCommandTests
{
    static string Model => GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");
    // The default: the twelve grid methods of "all" alone, every combination of the four ViTmiX methods (6 pairs, 4
    // triples, the quadruple) and each of the other eight with LRP, one fusion rule.
    const int Maps = 12 + 6 + 4 + 1 + 8;

    static CliRunner.Result Evaluate(string dataset, string outDir, params string[] extra) =>
        CliRunner.Run(["evaluate", "--model", Model, "--dataset", dataset, "--out", outDir, "--deletion-steps", "4", "--fusion", "gmean", .. extra]);

    static string[] Rows(string dir) => File.ReadAllLines(Path.Combine(dir, "results.csv")).Skip(1).ToArray();

    [Fact]
    public void VocPh2AndFolderDatasetsEvaluateEndToEnd()
    {
        using var tmp = new TempDir();
        using var voc = new TempDir();
        VocDatasetTests.MakeVoc(voc);
        using var ph2 = new TempDir();
        Ph2DatasetTests.MakePh2(ph2);
        using var folder = new TempDir();
        FolderDatasetTests.MakeFolder(folder, null);
        foreach (var (spec, images, masks) in new[] { ($"voc:{voc.Path}", 2, 2), ($"ph2:{ph2.Path}", 2, 2), ($"folder:{folder.Path}", 3, 4 + 1 + 1) })
        {
            string o = tmp.Combine(spec.Split(':')[0]);
            var r = Evaluate(spec, o);
            Assert.True(r.ExitCode == 0, r.Err + r.Out);
            var rows = Rows(o).Select(l => ResultRow.Parse(l, o)).ToList();
            Assert.Equal(masks * Maps, rows.Count);
            Assert.Equal(images, rows.Select(x => x.Image).Distinct().Count());
            Assert.All(rows, x =>
            {
                foreach (var v in new[] { x.Iou, x.F1, x.PixelAccuracy, x.Recall, x.Precision, x.DeletionAuc, x.InsertionAuc })
                    Assert.InRange(v, 0, 1);
            });
            string html = File.ReadAllText(Path.Combine(o, "report.html"));
            Assert.Contains("<table", html);
            Assert.Contains("data:image/png;base64,", html);
            Assert.True(File.Exists(Path.Combine(o, "summary.csv")));
            Assert.Contains("best single map", r.Out);
        }
    }

    [Fact]
    public void VoidPixelsNeverCount()
    {
        // A 32x32 VOC image whose left half is void (255): every metric must equal the one computed on the right half alone.
        using var tmp = new TempDir();
        string voc = tmp.Dir("VOCdevkit", "VOC2012");
        tmp.Dir("VOCdevkit", "VOC2012", "ImageSets", "Segmentation");
        tmp.Dir("VOCdevkit", "VOC2012", "JPEGImages");
        tmp.Dir("VOCdevkit", "VOC2012", "SegmentationClass");
        File.WriteAllText(Path.Combine(voc, "ImageSets", "Segmentation", "val.txt"), "2008_000001\n");
        FixtureImages.WriteRgb(Path.Combine(voc, "JPEGImages", "2008_000001.jpg"), FixtureImages.Pattern(32, 32, 5), 32, 32, SKEncodedImageFormat.Jpeg);
        var labels = new byte[32 * 32];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                labels[y * 32 + x] = x < 16 ? (byte)255 : (y is >= 8 and < 24 && x < 28 ? (byte)12 : (byte)0);
        FixtureImages.WriteIndexedPng(Path.Combine(voc, "SegmentationClass", "2008_000001.png"), labels, 32, 32);
        string o = tmp.Combine("out");
        var r = Evaluate($"voc:{tmp.Path}", o, "--combos", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        var row = Rows(o).Select(l => ResultRow.Parse(l, o)).Single(x => x.Method == "lrp");
        var maskPng = Directory.GetFiles(Path.Combine(o, "tiles", "2008_000001"), "*_lrp.mask.png").Single();
        var mask = ImageLoader.LoadRgb(maskPng);
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int y = 0; y < 32; y++)
            for (int x = 16; x < 32; x++)
            {
                bool p = mask.Pixels[(y * 32 + x) * 3] > 127, g = labels[y * 32 + x] != 0;
                if (p && g) tp++; else if (p) fp++; else if (g) fn++; else tn++;
            }
        Assert.Equal((double)tp / (tp + fp + fn), row.Iou, 12);
        Assert.Equal((double)(tp + tn) / (16 * 32), row.PixelAccuracy, 12);
        Assert.Equal((double)tp / (tp + fn), row.Recall, 12);
    }

    [Fact]
    public void AKilledRunResumesToTheSameResults()
    {
        using var tmp = new TempDir();
        string spec = "synth:5:3:32";
        string whole = tmp.Combine("whole");
        Assert.Equal(0, Evaluate(spec, whole).ExitCode);
        string expected = File.ReadAllText(Path.Combine(whole, "results.csv"));

        // Killed while writing image 4's rows (a partial line, no done mark), and again right after its rows.
        foreach (bool midLine in new[] { true, false })
        {
            string killed = tmp.Combine($"killed{midLine}");
            Assert.Equal(0, Evaluate("synth:3:3:32", killed).ExitCode);
            // Make it look like the same 5-image run stopped inside the fourth image.
            var run = File.ReadAllText(Path.Combine(killed, "run.json")).Replace("synthetic-32px-seed3\"", "synthetic-32px-seed3\"");
            File.WriteAllText(Path.Combine(killed, "run.json"), run);
            var fourth = Rows(whole).Where(l => l.StartsWith("synth_000003,")).ToList();
            string partial = midLine ? fourth[0][..(fourth[0].Length / 2)] : string.Join("\n", fourth) + "\n";
            File.AppendAllText(Path.Combine(killed, "results.csv"), partial);
            var resumed = Evaluate(spec, killed, "--resume");
            Assert.True(resumed.ExitCode == 0, resumed.Err);
            Assert.Equal(expected, File.ReadAllText(Path.Combine(killed, "results.csv")));
        }
    }

    [Fact]
    public void ShardsMergeIntoTheWholeRun()
    {
        using var tmp = new TempDir();
        string whole = tmp.Combine("whole");
        Assert.Equal(0, Evaluate("synth:5:4:32", whole).ExitCode);
        string sharded = tmp.Combine("sharded");
        Assert.Equal(0, Evaluate("synth:5:4:32", sharded, "--shard", "0/2").ExitCode);
        Assert.Equal(0, Evaluate("synth:5:4:32", sharded, "--shard", "1/2").ExitCode);
        var merged = CliRunner.Run("merge", Path.Combine(sharded, "shard-0-of-2"), Path.Combine(sharded, "shard-1-of-2"), "--out", tmp.Combine("merged"));
        Assert.True(merged.ExitCode == 0, merged.Err);
        Assert.Equal(Rows(whole).Order(StringComparer.Ordinal), Rows(tmp.Combine("merged")).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "summary.csv")).Split('\n').Length, File.ReadAllText(Path.Combine(tmp.Combine("merged"), "summary.csv")).Split('\n').Length);
        Assert.True(File.Exists(tmp.Combine("merged", "report.html")));
    }
}

/// <summary>Maps that differ only in their fusion weights stay apart everywhere a run names them.</summary>
public class WeightedCombinationTests
{
    [Fact]
    public void TwoWeightingsOfOnePairAreTwoMapsInEveryOutput()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("weighted");
        // The command of the issue, exactly (with an --out so the test owns the folder).
        var r = CliRunner.Run("evaluate", "--dataset", "synth:3:7:64", "--methods", "rollout,gradcam",
            "--combos", "wgmean(rollout:2,gradcam:1),wgmean(rollout:1,gradcam:2)", "--deletion-steps", "2", "--out", o);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        string[] maps = ["rollout", "gradcam", "rollout+gradcam.wgmean(2,1)", "rollout+gradcam.wgmean(1,2)"];

        var rows = File.ReadAllLines(Path.Combine(o, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        Assert.Equal(3 * 4, rows.Count);
        foreach (var map in maps) Assert.Equal(3, rows.Count(x => x.MapName == map));
        Assert.Contains("rollout+gradcam,\"wgmean(2,1)\",otsu", File.ReadAllText(Path.Combine(o, "results.csv")));
        Assert.Contains("rollout+gradcam,\"wgmean(1,2)\",otsu", File.ReadAllText(Path.Combine(o, "results.csv")));

        var summary = File.ReadAllLines(Path.Combine(o, "summary.csv")).Skip(1).Select(l => Csv.Split(l)).ToList();
        Assert.Equal(maps, summary.Select(f => f[0]));
        Assert.All(summary, f => Assert.Equal("3", f[3]));

        var curves = File.ReadAllLines(Path.Combine(o, "curves.csv")).Skip(1).Select(l => Csv.Split(l)).ToList();
        foreach (var map in maps) Assert.Equal(3 * 2, curves.Count(f => f[1] == map)); // deletion and insertion per image

        var tiles = Directory.GetFiles(Path.Combine(o, "tiles", "synth_000000")).Select(Path.GetFileName).ToList();
        Assert.Contains("004_rollout+gradcam.wgmean-2-1.png", tiles);
        Assert.Contains("005_rollout+gradcam.wgmean-1-2.mask.png", tiles);

        string html = File.ReadAllText(Path.Combine(o, "report.html"));
        foreach (var map in maps) Assert.Contains($"<td class=\"name\">{map}</td>", html);
        Assert.Contains("rollout+gradcam.wgmean(2,1) mask", html); // the tile labels use the display names too
        Assert.Contains("rollout+gradcam.wgmean(1,2) overlay", html);
    }

    [Fact]
    public void AFolderWrittenBeforeTheWeightsWereRecordedStillResumesAndMerges()
    {
        using var tmp = new TempDir();
        string model = GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");
        string[] args = ["evaluate", "--model", model, "--dataset", "synth:4:2:32", "--methods", "rollout,lrp", "--combos", "wgmean(rollout:2,lrp:1)",
            "--deletion-steps", "2", "--shard", "0/2", "--out", tmp.Path];
        Assert.Equal(0, CliRunner.Run(args).ExitCode);
        Assert.Equal(0, CliRunner.Run([.. args[..^3], "1/2", "--out", tmp.Path]).ExitCode);
        string shard0 = tmp.Combine("shard-0-of-2"), shard1 = tmp.Combine("shard-1-of-2");
        string expected = File.ReadAllText(Path.Combine(shard0, "results.csv"));

        // Rewrite shard 0 as the previous version wrote it: FusionSpec names in run.json, no weights in results.csv.
        string run = Path.Combine(shard0, "run.json");
        File.WriteAllText(run, File.ReadAllText(run).Replace("\"rollout\"", "\"rollout.single\"").Replace("\"lrp\"", "\"lrp.single\"")
            .Replace("rollout+lrp.wgmean(2,1)", "rollout+lrp.wgmean-2-1"));
        string results = Path.Combine(shard0, "results.csv");
        File.WriteAllText(results, File.ReadAllText(results).Replace("\"wgmean(2,1)\"", "wgmean"));
        string curves = Path.Combine(shard0, "curves.csv");
        File.WriteAllText(curves, File.ReadAllText(curves).Replace("\"rollout+lrp.wgmean(2,1)\"", "rollout+lrp.wgmean-2-1"));
        Assert.Contains("rollout.single", File.ReadAllText(run));

        var resumed = CliRunner.Run([.. args[..^3], "0/2", "--out", tmp.Path, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        var merged = CliRunner.Run("merge", shard0, shard1, "--out", tmp.Combine("merged"));
        Assert.True(merged.ExitCode == 0, merged.Err);
        var rows = File.ReadAllLines(tmp.Combine("merged", "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "merged")).ToList();
        Assert.Equal(4 * 3, rows.Count);
        // The old shard's weighted rows keep the name they can have; the new shard's carry the weights.
        Assert.Equal(2, rows.Count(x => x.MapName == "rollout+lrp.wgmean"));
        Assert.Equal(2, rows.Count(x => x.MapName == "rollout+lrp.wgmean(2,1)"));
        Assert.NotEqual(expected, File.ReadAllText(results)); // it was really rewritten in the old form
    }
}

public class UntrainedHeadWarningTests
{
    [Fact]
    public void ARandomHeadIsFlagged()
    {
        // A head of zeros gives uniform probabilities on every image: explaining it is meaningless.
        var config = new Vitmix.Model.VitConfig { ImageHeight = 32, ImageWidth = 32, PatchSize = 8, EmbedDim = 12, Depth = 1, NumHeads = 3, MlpHidden = 24, NumClasses = 4 };
        var model = TinyModels.Random(config, seed: 2);
        Array.Clear(model.Weights.HeadWeight);
        Array.Clear(model.Weights.HeadBias);
        using var tmp = new TempDir();
        string weights = tmp.Combine("model.safetensors");
        Vitmix.Model.Checkpoints.SafeTensorsWriter.WriteModel(weights, model);
        var r = CliRunner.Run("evaluate", "--model", weights, "--dataset", "synth:2:1:32", "--out", tmp.Combine("o"), "--deletion-steps", "0", "--combos", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("untrained", r.Out);
        Assert.Contains("untrained", File.ReadAllText(tmp.Combine("o", "report.html")));
    }
}
