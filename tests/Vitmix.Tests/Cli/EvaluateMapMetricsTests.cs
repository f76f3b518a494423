using System.Globalization;
using System.Text.Json.Nodes;
using Vitmix.Evaluation;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>`vitmix evaluate`'s map metrics, Chefer's protocol and run folders written before either.</summary>
public class EvaluateMapMetricsTests
{
    static CliRunner.Result Evaluate(string outDir, params string[] extra) =>
        CliRunner.Run(["evaluate", "--dataset", "synth:3:7:32", "--methods", "rollout,gradcam", "--deletion-steps", "2", "--fusion", "gmean", "--out", outDir, .. extra]);

    static List<ResultRow> Rows(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, dir)).ToList();

    /// <summary>summary.csv as map → column → field.</summary>
    static Dictionary<string, Dictionary<string, string>> Summary(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, "summary.csv"));
        var header = Csv.Split(lines[0]);
        return lines.Skip(1).Select(Csv.Split).ToDictionary(f => f[0], f => header.Zip(f).ToDictionary(p => p.First, p => p.Second));
    }

    [Fact]
    public void EveryRowCarriesTheMapMetricsAndTheSummaryAndReportShowThem()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("o");
        var r = Evaluate(o);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var rows = Rows(o);
        Assert.Equal(3 * 3, rows.Count);
        foreach (var row in rows)
        {
            var m = row.MapScores;
            Assert.Contains(m.PointingGame, new[] { 0.0, 1.0 });
            foreach (var v in new[] { m.EnergyPointingGame, m.RelevanceMassAccuracy, m.RelevanceRankAccuracy, m.Sparseness }) Assert.InRange(v, 0, 1);
            Assert.InRange(m.Complexity, 0, Math.Log(64 * 64)); // the golden model's input is 64x64
            Assert.Equal(64 * 64, row.Counts!.Value.Valid);
            Assert.True(double.IsNaN(row.CheferAveragePrecision)); // not asked for
        }
        var summary = Summary(o);
        Assert.Equal(rows.Where(x => x.MapName == "rollout").Average(x => x.MapScores.PointingGame),
            double.Parse(summary["rollout"]["pointing_game"], CultureInfo.InvariantCulture), 12);
        Assert.Equal("", summary["rollout"]["chefer_miou"]);
        Assert.Contains("pointing game", r.Out);
        string html = File.ReadAllText(Path.Combine(o, "report.html"));
        Assert.Contains("<h3>Localisation</h3>", html);
        Assert.Contains("alt=\"Relevance rank accuracy by map\"", html);
        Assert.DoesNotContain("ImageNet-segmentation protocol</h3>", html);
    }

    [Fact]
    public void ThePointingToleranceIsRecordedAndChangesOnlyThePointingGame()
    {
        using var tmp = new TempDir();
        string strict = tmp.Combine("strict"), loose = tmp.Combine("loose");
        Assert.Equal(0, Evaluate(strict, "--pointing-tolerance", "0").ExitCode);
        Assert.Equal(0, Evaluate(loose, "--pointing-tolerance", "200").ExitCode);
        var a = Rows(strict);
        var b = Rows(loose);
        Assert.All(b, x => Assert.Equal(1, x.MapScores.PointingGame)); // 200 px covers the whole 64x64 input
        Assert.Equal(a.Select(x => x.MapScores with { PointingGame = 0 }), b.Select(x => x.MapScores with { PointingGame = 0 }));
        Assert.Equal(0, EvaluationStore.ReadRun(strict).PointingTolerance);
        // Resuming with another tolerance would mix two games in one column.
        var resumed = Evaluate(strict, "--resume");
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Contains("pointing tolerance", resumed.Err);
    }

    [Fact]
    public void BadOptionValuesAreOneLineErrorsNamingTheOption()
    {
        using var tmp = new TempDir();
        foreach (var (args, option) in new[]
        {
            (new[] { "--pointing-tolerance", "-1" }, "--pointing-tolerance"),
            (["--pointing-tolerance", "far"], "--pointing-tolerance"),
            (["--protocol", "imagenet"], "--protocol"),
            (["--protocol", "chefer", "--threshold", "otsu"], "--protocol chefer"),
        })
        {
            var r = Evaluate(tmp.Combine("o"), args);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(option, r.ErrLines[0]);
            Assert.False(Directory.Exists(tmp.Combine("o")));
        }
    }

    [Fact]
    public void CheferProtocolPoolsTheRowsCountsAndAveragesTheirAp()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("o");
        var r = Evaluate(o, "--protocol", "chefer");
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Equal("mean", EvaluationStore.ReadRun(o).Threshold);
        Assert.Equal("chefer", EvaluationStore.ReadRun(o).Protocol);
        var rows = Rows(o);
        var summary = Summary(o);
        foreach (var map in rows.Select(x => x.MapName).Distinct())
        {
            var mine = rows.Where(x => x.MapName == map).ToList();
            Assert.All(mine, x => Assert.InRange(x.CheferAveragePrecision, 0, 1));
            // Chefer's accumulator by hand: background and foreground IoU of the summed counts, their mean.
            long tp = mine.Sum(x => x.Counts!.Value.TruePositive), fp = mine.Sum(x => x.Counts!.Value.FalsePositive);
            long fn = mine.Sum(x => x.Counts!.Value.FalseNegative), tn = mine.Sum(x => x.Counts!.Value.TrueNegative);
            double miou = ((double)tp / (tp + fp + fn) + (double)tn / (tn + fp + fn)) / 2;
            double F(string column) => double.Parse(summary[map][column], CultureInfo.InvariantCulture);
            Assert.Equal((double)(tp + tn) / (tp + fp + fn + tn), F("chefer_pixel_accuracy"), 12);
            Assert.Equal(miou, F("chefer_miou"), 12);
            Assert.Equal("", summary[map]["chefer_miou_ci_low"]); // one number of the whole dataset: no interval
            Assert.Equal(mine.Average(x => x.CheferAveragePrecision), F("chefer_map"), 12);
        }
        Assert.Contains("mIoU (pooled)", r.Out);
        Assert.Contains("ImageNet-segmentation protocol</h3>", File.ReadAllText(Path.Combine(o, "report.html")));
    }

    [Fact]
    public void AFolderOfAnOlderVersionMergesWithTheMapMetricsAbsentAndRefusesToResume()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("old");
        Assert.Equal(0, Evaluate(o).ExitCode);
        // Rewrite it as the previous version wrote it: 15 fields per row, run.json without the new settings.
        string results = Path.Combine(o, "results.csv");
        var lines = File.ReadAllLines(results);
        File.WriteAllLines(results, [ResultRow.LegacyHeader, .. lines.Skip(1).Select(l => string.Join(",", Csv.Split(l).Take(15).Select(Csv.Escape)))]);
        string runPath = Path.Combine(o, "run.json");
        var run = JsonNode.Parse(File.ReadAllText(runPath))!.AsObject();
        foreach (var key in new[] { "Protocol", "PointingTolerance", "Sensitivity" }) Assert.True(run.Remove(key), key);
        File.WriteAllText(runPath, run.ToJsonString());
        var old = Rows(o);
        Assert.All(old, x => { Assert.Null(x.Counts); Assert.True(double.IsNaN(x.MapScores.PointingGame)); });

        var merged = CliRunner.Run("merge", o, "--out", tmp.Combine("merged"));
        Assert.True(merged.ExitCode == 0, merged.Err);
        var summary = Summary(tmp.Combine("merged"));
        Assert.Equal("", summary["rollout"]["pointing_game"]);
        Assert.NotEqual("", summary["rollout"]["iou"]);
        Assert.Contains("not recorded (a run of an older version)", File.ReadAllText(tmp.Combine("merged", "report.html")));

        string before = File.ReadAllText(results);
        var resumed = Evaluate(o, "--resume");
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Single(resumed.ErrLines);
        Assert.Contains("older Vitmix", resumed.Err);
        Assert.Contains("--overwrite", resumed.Err);
        Assert.Equal(before, File.ReadAllText(results));
    }

    [Fact]
    public void ShardsOfAnOlderAndANewerVersionAreNotMerged()
    {
        var newer = new RunInfo("m", "d", 2, ["rollout"], "otsu", 0, "continuous", 0, "predicted", 0, 2, ["a", "b"], Protocol: "vitmix", PointingTolerance: 15);
        var older = newer with { ShardIndex = 1, Protocol = null, PointingTolerance = null };
        Assert.Contains(newer.Differences(older, sameShard: false), d => d.StartsWith("result columns", StringComparison.Ordinal));
        Assert.Empty(newer.Differences(newer with { ShardIndex = 1 }, sameShard: false));
        Assert.Contains(newer.Differences(newer with { Protocol = "chefer" }, sameShard: false), d => d.StartsWith("protocol", StringComparison.Ordinal));
    }
}

/// <summary>`vitmix evaluate --sensitivity`.</summary>
public class EvaluateSensitivityTests
{
    [Fact]
    public void MaxSensitivityIsMeasuredPerMapAndRecordedInTheRun()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("o");
        string[] args = ["evaluate", "--dataset", "synth:2:7:32", "--methods", "rollout,gradcam", "--combos", "rollout+gradcam", "--fusion", "gmean",
            "--deletion-steps", "0", "--out", o];
        var r = CliRunner.Run([.. args, "--sensitivity", "3"]);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var rows = File.ReadAllLines(Path.Combine(o, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, o)).ToList();
        Assert.Equal(2 * 3, rows.Count);
        // Noise of 2 % of the pixel range moves the maps, but not beyond recognition; a map of zeros (this model's
        // Grad-CAM on one image) has no relative change.
        Assert.All(rows, x =>
        {
            if (x.MapScores is { Sparseness: 0, RelevanceMassAccuracy: 0 }) Assert.True(double.IsNaN(x.MaxSensitivity));
            else Assert.InRange(x.MaxSensitivity, 1e-6, 1);
        });
        Assert.All(rows.Where(x => x.MapName == "rollout"), x => Assert.False(double.IsNaN(x.MaxSensitivity)));
        Assert.Equal("3 x r=0.02 seed 0", EvaluationStore.ReadRun(o).Sensitivity);
        Assert.Contains("max-sens.", r.Out);
        Assert.Contains("alt=\"Max-sensitivity (lower is more robust) by map\"", File.ReadAllText(Path.Combine(o, "report.html")));
        // Seeded: a second run draws the same noise and measures the same numbers.
        string again = tmp.Combine("again");
        Assert.Equal(0, CliRunner.Run([.. args[..^1], again, "--sensitivity", "3"]).ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(o, "results.csv")), File.ReadAllText(Path.Combine(again, "results.csv")));
        // Another number of perturbations is another measurement: not resumed into this run.
        var resumed = CliRunner.Run([.. args, "--sensitivity", "--resume"]);
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Contains("max-sensitivity", resumed.Err);
    }
}
