using System.Globalization;
using Vitmix.Evaluation.FusionFitting;
using Vitmix.Evaluation.Report;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Evaluation.FusionFitting;

/// <summary>Fusion learned from data: the weight grid, the verdict, and that evaluate reproduces the held-out scores.</summary>
public class FitFusionTests
{
    [Fact]
    public void TheWeightGridIsEveryPointOfTheSimplexAtTheStep()
    {
        var points = WeightGrid.Points(3, 2).ToList();
        Assert.Equal(6, points.Count);   // C(4, 2)
        Assert.Equal(6, WeightGrid.Count(3, 2));
        Assert.All(points, p => Assert.Equal(2, p.Sum()));
        Assert.Equal(6, points.Select(p => string.Join(",", p)).Distinct().Count());
        Assert.Equal(286, WeightGrid.Count(4, 10));
        Assert.Equal(WeightGrid.Count(4, 10), WeightGrid.Points(4, 10).Count());
        Assert.Equal(11, WeightGrid.Count(2, 10));
    }

    [Fact]
    public void TheVerdictSaysPlainlyWhetherTheHeldOutImagesShowAGain()
    {
        var spec = new FusionSpec(["lrp"], FusionRules.Single);
        var map = new FittedMap(spec, new OtsuThreshold(), 0.5, new MeanInterval(0.5, 0.4, 0.6, 10, 0.1), new double[10]);
        FusionFitResult Result(FitObjective o, double low, double high) =>
            new(o, map, map, map, new MeanInterval((low + high) / 2, low, high, 10, 0.1), new MeanInterval(0, 0, 0, 10, 0), 10, Enumerable.Repeat("x", 10).ToList(), []);
        Assert.True(Result(FitObjective.Iou, 0.01, 0.03).BeatsFixed);
        Assert.Contains("beats", Result(FitObjective.Iou, 0.01, 0.03).Verdict);
        Assert.False(Result(FitObjective.Iou, -0.01, 0.03).BeatsFixed);
        Assert.Contains("does not beat", Result(FitObjective.Iou, -0.01, 0.03).Verdict);
        // Deletion AUC: lower is better, so a gain is an interval below 0.
        Assert.True(Result(FitObjective.Deletion, -0.03, -0.01).BeatsFixed);
        Assert.False(Result(FitObjective.Deletion, 0.01, 0.03).BeatsFixed);
    }

    [Fact]
    public void TheLearnedSpecFileIsWhatEvaluateReads_AndEvaluateReproducesTheHeldOutScores()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], weights = GoldenData.Path(set, "weights.safetensors"), fit = Path.Combine(tmp.Path, "fit");
        const string dataset = "synth:12:7:64", methods = "rollout,saliency,lrp";
        var r = CliRunner.Run("fit-fusion", "--dataset", dataset, "--model", weights, "--methods", methods, "--weight-step", "0.25", "--out", fit);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains(r.OutLines, l => l.Contains("the learned fusion"));
        var specLine = File.ReadAllLines(Path.Combine(fit, "fusion.spec")).Single(l => !l.StartsWith('#'));
        var heldout = File.ReadAllLines(Path.Combine(fit, "heldout.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(6, heldout.Count);

        // evaluate with the spec file scores the same map the same way: its IoU per held-out image is the fit's.
        string eval = Path.Combine(tmp.Path, "eval");
        var e = CliRunner.Run("evaluate", "--dataset", dataset, "--model", weights, "--methods", methods, "--combos", "@" + Path.Combine(fit, "fusion.spec"),
            "--deletion-steps", "0", "--out", eval);
        Assert.True(e.ExitCode == 0, e.Err + e.Out);
        var learned = FusionSpecParser.Parse(specLine, ["gmean"], methods.Split(','))[0];
        string display = learned.ToString();
        var rows = File.ReadAllLines(Path.Combine(eval, "results.csv")).Skip(1).Select(l => Vitmix.Evaluation.ResultRow.Parse(l, "results.csv"))
            .Where(row => row.Map.DisplayName == display).ToDictionary(row => row.Image, row => row.Iou);
        Assert.Equal(12, rows.Count);
        foreach (var h in heldout)
            Assert.Equal(double.Parse(h[1], CultureInfo.InvariantCulture), rows[h[0]], 9);
    }

    [Fact]
    public void TheDeletionObjectiveAndALearnedThresholdRun()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], weights = GoldenData.Path(set, "weights.safetensors");
        var r = CliRunner.Run("fit-fusion", "--dataset", "synth:6:3:64", "--model", weights, "--methods", "rollout,lrp", "--weight-step", "0.5",
            "--objective", "deletion", "--deletion-steps", "4", "--out", Path.Combine(tmp.Path, "d"));
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains(r.OutLines, l => l.Contains("deletion AUC (lower is better)"));
        var t = CliRunner.Run("fit-fusion", "--dataset", "synth:6:3:64", "--model", weights, "--methods", "rollout,lrp", "--weight-step", "0.5",
            "--learn-threshold", "--out", Path.Combine(tmp.Path, "t"));
        Assert.True(t.ExitCode == 0, t.Err + t.Out);
        Assert.Contains("\"threshold\"", File.ReadAllText(Path.Combine(tmp.Path, "t", "fit.json")));
    }

    [Fact]
    public void AnImpossibleGridOrSplitIsOneLineNamingTheOption_AndAnEarlierFitIsKept()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], weights = GoldenData.Path(set, "weights.safetensors");
        var grid = CliRunner.Run("fit-fusion", "--dataset", "synth:4:3:64", "--model", weights, "--methods", "rollout,attnflow,gradcam,saliency,lrp,tam,vitcx",
            "--weight-step", "0.05", "--out", Path.Combine(tmp.Path, "g"));
        Assert.NotEqual(0, grid.ExitCode);
        Assert.Single(grid.ErrLines);
        Assert.Contains("--weight-step", grid.Err);
        var step = CliRunner.Run("fit-fusion", "--dataset", "synth:4:3:64", "--model", weights, "--weight-step", "0.3", "--out", Path.Combine(tmp.Path, "s"));
        Assert.Contains("does not divide 1", step.Err);
        var few = CliRunner.Run("fit-fusion", "--dataset", "synth:3:3:64", "--model", weights, "--methods", "rollout,lrp", "--out", Path.Combine(tmp.Path, "f"));
        Assert.NotEqual(0, few.ExitCode);
        Assert.Contains("at least 2 training and 2 held-out", few.Err);
        Assert.False(File.Exists(Path.Combine(tmp.Path, "f", "fusion.spec")));

        string out_ = Path.Combine(tmp.Path, "o");
        string[] args = ["fit-fusion", "--dataset", "synth:4:3:64", "--model", weights, "--methods", "rollout,lrp", "--weight-step", "0.5", "--out", out_];
        Assert.Equal(0, CliRunner.Run(args).ExitCode);
        var again = CliRunner.Run(args);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("--overwrite", again.Err);
    }
}
