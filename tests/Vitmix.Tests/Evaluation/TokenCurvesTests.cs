using Vitmix.Evaluation;
using Vitmix.Model;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Evaluation;

/// <summary>Token deletion and insertion: patches dropped from the sequence in a map's order, against the token-subset forward step by step.</summary>
public class TokenCurvesTests
{
    static double Probability(VisionTransformer model, Vitmix.Engine.Tensor image, int[] kept, int target)
    {
        int k = model.Config.NumClasses;
        var logits = model.ForwardTokens(image, [kept]).Data;
        return Probabilities.Softmax(logits.AsSpan(0, k).ToArray())[target];
    }

    [Fact]
    public void EveryPointIsTheForwardOnTheTokensLeft_AndTheEndsAreTheImageAndThePrefix()
    {
        string set = GoldenData.Sets[1];
        var model = GoldenData.Model(set);
        var image = GoldenData.Input(set, GoldenData.Images[0]);
        int p = model.Config.NumPatches, target = 1;
        var rng = new Random(5);
        var grids = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, p).Select(_ => (float)rng.NextDouble()).ToArray()).ToList();
        grids.Add((float[])grids[0].Clone());   // a duplicate map shares every point
        foreach (var kind in new[] { CurveKind.Deletion, CurveKind.Insertion })
        {
            var curves = TokenCurves.Compute(model, image, target, grids, kind, steps: 8, batchSize: 2);
            Assert.Equal(curves[0].Probabilities, curves[3].Probabilities);
            for (int m = 0; m < 3; m++)
            {
                var order = Enumerable.Range(0, p).OrderByDescending(i => grids[m][i]).ThenBy(i => i).ToArray();
                for (int s = 0; s <= 8; s++)
                {
                    int changed = (int)Math.Round(s * p / 8.0, MidpointRounding.AwayFromZero);
                    var kept = (kind == CurveKind.Deletion ? order.Skip(changed) : order.Take(changed)).Order().ToArray();
                    Assert.Equal(Probability(model, image, kept, target), curves[m].Probabilities[s], 6);
                }
                Assert.Equal(PerturbationCurve.Area(curves[m].Probabilities), curves[m].Auc, 12);
            }
            var all = Enumerable.Range(0, p).ToArray();
            double full = Probability(model, image, all, target), prefixOnly = Probability(model, image, [], target);
            Assert.Equal(kind == CurveKind.Deletion ? full : prefixOnly, curves[0].Probabilities[0], 6);
            Assert.Equal(kind == CurveKind.Deletion ? prefixOnly : full, curves[0].Probabilities[^1], 6);
        }
    }

    [Fact]
    public void StepsAreCappedAtThePatchCount_AndAnAveragePoolingModelKeepsAPatch()
    {
        var model = TinyModels.Random(TinyModels.Config(avgPool: true), seed: 3);
        var image = TinyModels.RandomInput(model.Config, 1, seed: 4);
        int p = model.Config.NumPatches;
        var grid = Enumerable.Range(0, p).Select(i => (float)i).ToArray();
        var deletion = TokenCurves.Compute(model, image, 0, [grid], CurveKind.Deletion, steps: 10 * p)[0];
        Assert.Equal(p + 1, deletion.Probabilities.Length);
        // The last point keeps the least relevant patch (patch 0 of this ranking) rather than none.
        Assert.Equal(Probability(model, image, [0], 0), deletion.Probabilities[^1], 6);
    }

    [Fact]
    public void EvaluateWritesTokenColumnsCurvesAndPlots_AndResumeRefusesAnotherPerturbation()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], output = Path.Combine(tmp.Path, "e");
        string[] args = ["evaluate", "--dataset", "synth:3:5:64", "--model", GoldenData.Path(set, "weights.safetensors"), "--methods", "rollout,lrp",
            "--fusion", "gmean", "--deletion-steps", "4", "--out", output];
        var r = CliRunner.Run([.. args, "--perturbation", "both"]);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var rows = File.ReadAllLines(Path.Combine(output, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        Assert.All(rows, row => { Assert.InRange(row.TokenDeletionAuc, 0, 1); Assert.InRange(row.TokenInsertionAuc, 0, 1); Assert.InRange(row.DeletionAuc, 0, 1); });
        var kinds = File.ReadAllLines(Path.Combine(output, "curves.csv")).Skip(1).Select(l => l.Split(',')[2]).Distinct().Order().ToList();
        Assert.Equal(["deletion", "insertion", "token-deletion", "token-insertion"], kinds);
        Assert.Contains("token_deletion_auc", File.ReadAllLines(Path.Combine(output, "summary.csv"))[0]);
        Assert.Contains("Token deletion curves", File.ReadAllText(Path.Combine(output, "report.html")));
        Assert.Contains(r.OutLines, l => l.Contains("token deletion AUC"));

        var resumed = CliRunner.Run([.. args, "--perturbation", "token", "--resume"]);
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Contains("perturbation", resumed.Err);

        string tokenOnly = Path.Combine(tmp.Path, "t");
        var t = CliRunner.Run(["evaluate", "--dataset", "synth:3:5:64", "--model", GoldenData.Path(set, "weights.safetensors"), "--methods", "rollout,lrp",
            "--fusion", "gmean", "--deletion-steps", "4", "--perturbation", "token", "--out", tokenOnly]);
        Assert.True(t.ExitCode == 0, t.Err);
        var tokenRows = File.ReadAllLines(Path.Combine(tokenOnly, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        Assert.All(tokenRows, row => Assert.True(double.IsNaN(row.DeletionAuc) && !double.IsNaN(row.TokenDeletionAuc)));
        // The same images and maps give the same token AUCs with or without the pixel curves beside them.
        Assert.Equal(rows.Select(x => x.TokenDeletionAuc), tokenRows.Select(x => x.TokenDeletionAuc));
    }
}
