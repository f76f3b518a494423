using Vitmix.Engine;
using Vitmix.Evaluation;
using Vitmix.Model;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Evaluation;

/// <summary>ROAD's MoRF and LeRF curves against a step-by-step recomputation, its noise seeding and the evaluate columns.</summary>
public class RoadCurvesTests
{
    /// <summary>One point recomputed from the definition: rank, remove, impute with this stream's noise, forward alone.</summary>
    static double Point(VisionTransformer model, Tensor image, int target, float[] map, double fraction, bool morf, float[] scale, long seed, long stream)
    {
        var c = model.Config;
        int plane = c.ImageHeight * c.ImageWidth, k = c.NumClasses;
        var order = Enumerable.Range(0, plane).OrderByDescending(i => map[i]).ThenBy(i => i).ToArray();
        int count = (int)(plane * fraction);
        var removed = new bool[plane];
        foreach (int i in morf ? order.Take(count) : order.Skip(plane - count)) removed[i] = true;
        var noise = new float[image.Data.Length];
        SplitMixGaussian.Fill(seed, stream, 1f, noise);
        for (int i = 0; i < noise.Length; i++) noise[i] *= scale[i / plane];
        var copy = new Tensor((float[])image.Data.Clone(), 1, c.InChannels, c.ImageHeight, c.ImageWidth);
        new NoisyLinearImputer().Impute(copy.Data, c.InChannels, c.ImageHeight, c.ImageWidth, removed, noise);
        return Probabilities.Softmax(model.Forward(copy).Data.AsSpan(0, k))[target];
    }

    [Fact]
    public void EveryPointIsTheImputedImageForwarded_AndTheSummariesAreTheMeansAndTheirDifference()
    {
        string set = GoldenData.Sets[0];
        var model = GoldenData.Model(set);
        var image = GoldenData.Input(set, GoldenData.Images[1]);
        int plane = model.Config.ImageHeight * model.Config.ImageWidth, target = 2;
        var rng = new Random(7);
        var maps = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, plane).Select(_ => (float)rng.NextDouble()).ToArray()).ToList();
        maps.Add((float[])maps[0].Clone());   // a duplicate map sees the same images
        var scale = RoadCurves.NoiseScale([0.229f, 0.224f, 0.225f]);
        double[] fractions = [0.1, 0.5, 0.9];
        const long seed = 11, stream = 4;
        var curves = RoadCurves.Compute(model, image, target, maps, scale, seed, stream, fractions, batchSize: 4);
        Assert.Equal(curves[0].Morf, curves[2].Morf);
        Assert.Equal(curves[0].Lerf, curves[2].Lerf);
        for (int m = 0; m < 2; m++)
        {
            for (int f = 0; f < fractions.Length; f++)
            {
                // The noise stream of fraction f of image stream s is s·F + f.
                Assert.Equal(Point(model, image, target, maps[m], fractions[f], true, scale, seed, stream * fractions.Length + f), curves[m].Morf[f], 5);
                Assert.Equal(Point(model, image, target, maps[m], fractions[f], false, scale, seed, stream * fractions.Length + f), curves[m].Lerf[f], 5);
            }
            Assert.Equal(curves[m].Morf.Average(), curves[m].MorfMean, 12);
            Assert.Equal(curves[m].Lerf.Average() - curves[m].Morf.Average(), curves[m].Gap, 12);
        }
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9], RoadCurves.DefaultFractions);
    }

    [Fact]
    public void TheNoiseIsSigmaOverTheStdInTheInputSpace_AndFollowsTheSeedAndStream()
    {
        Assert.Equal([0.01f / 0.5f, 0.01f / 0.25f], RoadCurves.NoiseScale([0.5f, 0.25f]));
        var z = new float[200_000];
        SplitMixGaussian.Fill(3, 0, NoisyLinearImputer.DefaultNoise, z);
        double sd = Math.Sqrt(z.Select(v => (double)v * v).Average());
        Assert.InRange(sd, 0.0099, 0.0101);

        string set = GoldenData.Sets[0];
        var model = GoldenData.Model(set);
        var image = GoldenData.Input(set, GoldenData.Images[0]);
        int plane = model.Config.ImageHeight * model.Config.ImageWidth;
        var map = Enumerable.Range(0, plane).Select(i => (float)Math.Sin(i)).ToArray();
        var large = new[] { 0.5f, 0.5f, 0.5f };   // noise large enough to move the probabilities visibly
        double[] At(long seed, long stream, float[] s) => RoadCurves.Compute(model, image, 0, [map], s, seed, stream)[0].Morf;
        Assert.Equal(At(1, 2, large), At(1, 2, large));
        Assert.NotEqual(At(1, 2, large), At(2, 2, large));
        Assert.NotEqual(At(1, 2, large), At(1, 3, large));
        // Without noise the seed does not matter.
        Assert.Equal(At(1, 2, [0f, 0f, 0f]), At(5, 9, [0f, 0f, 0f]));
    }

    [Fact]
    public void MorfRemovesTheFirstAndLerfTheLastPixelsOfTheOrder()
    {
        int[] order = [3, 1, 4, 0, 2, 5, 9, 8, 7, 6];
        var removed = new bool[10];
        RoadCurves.RemovedPixels(order, 0.3, true, removed);
        Assert.Equal(order.Take(3).Order(), Enumerable.Range(0, 10).Where(i => removed[i]));
        RoadCurves.RemovedPixels(order, 0.3, false, removed);
        Assert.Equal(order.Skip(7).Order(), Enumerable.Range(0, 10).Where(i => removed[i]));
        RoadCurves.RemovedPixels(order, 0.0, false, removed);
        Assert.DoesNotContain(true, removed);
    }

    [Fact]
    public void EvaluateWritesRoadColumns_AndResumeRefusesAnotherRoadSetting()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], output = Path.Combine(tmp.Path, "e");
        string[] args = ["evaluate", "--dataset", "synth:2:5:64", "--model", GoldenData.Path(set, "weights.safetensors"), "--methods", "rollout,lrp",
            "--fusion", "gmean", "--deletion-steps", "4", "--out", output];
        var r = CliRunner.Run([.. args, "--road"]);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.EndsWith(",road_morf,road_lerf,road_gap", File.ReadAllLines(Path.Combine(output, "results.csv"))[0]);
        var rows = File.ReadAllLines(Path.Combine(output, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            Assert.InRange(row.RoadMorf, 0, 1);
            Assert.InRange(row.RoadLerf, 0, 1);
            Assert.Equal(row.RoadLerf - row.RoadMorf, row.RoadGap, 9);
        });
        // curves.csv holds both curves of every row's map, a value per fraction, whose means are the columns
        var curves = File.ReadAllLines(Path.Combine(output, "curves.csv")).Skip(1).Select(l => CurveRow.Parse(l, "curves.csv", "otsu")).ToList();
        Assert.All(rows, row =>
        {
            var morf = Assert.Single(curves, c => c.Image == row.Image && c.Map.DisplayName == row.Map.DisplayName && c.Kind == RoadCurveKinds.Morf);
            var lerf = Assert.Single(curves, c => c.Image == row.Image && c.Map.DisplayName == row.Map.DisplayName && c.Kind == RoadCurveKinds.Lerf);
            Assert.Equal(RoadCurves.DefaultFractions.Count, morf.Values.Length);
            Assert.Equal(row.RoadMorf, morf.Values.Average(), 12);
            Assert.Equal(row.RoadLerf, lerf.Values.Average(), 12);
        });
        Assert.Contains("road_gap", File.ReadAllLines(Path.Combine(output, "summary.csv"))[0]);
        var report = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("ROAD (noisy linear imputation)", report);
        Assert.Contains("alt=\"ROAD MoRF curves\"", report);
        Assert.Contains("alt=\"ROAD LeRF curves\"", report);
        // the curve-resolution table reads only the even-step curves
        Assert.DoesNotContain(">road-morf<", report);
        Assert.Contains(r.OutLines, l => l.Contains("ROAD gap"));
        Assert.Contains("noisy-linear sigma=0.01", File.ReadAllText(Path.Combine(output, "run.json")));

        var resumed = CliRunner.Run([.. args, "--resume"]);
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Contains("road", resumed.Err);

        string plain = Path.Combine(tmp.Path, "p");
        var p = CliRunner.Run([.. args[..^1], plain]);
        Assert.True(p.ExitCode == 0, p.Err);
        var plainRows = File.ReadAllLines(Path.Combine(plain, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        Assert.All(plainRows, row => Assert.True(double.IsNaN(row.RoadMorf) && double.IsNaN(row.RoadGap)));
        // ROAD does not change the other columns.
        Assert.Equal(rows.Select(x => x.DeletionAuc), plainRows.Select(x => x.DeletionAuc));
    }

    [Fact]
    public void EvaluateAtOtherFractions_ReadsItsCurvesAtThem()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], output = Path.Combine(tmp.Path, "e");
        var r = CliRunner.Run("evaluate", "--dataset", "synth:1:5:64", "--model", GoldenData.Path(set, "weights.safetensors"), "--methods", "rollout",
            "--deletion-steps", "4", "--road-fractions", "0.25, 0.5", "--out", output);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var rows = File.ReadAllLines(Path.Combine(output, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        var curves = File.ReadAllLines(Path.Combine(output, "curves.csv")).Skip(1).Select(l => CurveRow.Parse(l, "curves.csv", "otsu")).ToList();
        var morf = Assert.Single(curves, c => c.Kind == RoadCurveKinds.Morf);
        Assert.Equal(2, morf.Values.Length);
        Assert.Equal(Assert.Single(rows).RoadMorf, morf.Values.Average(), 12);
        Assert.Contains("fractions 0.25 0.5 seed", File.ReadAllText(Path.Combine(output, "run.json")));
        Assert.Contains("alt=\"ROAD MoRF curves\"", File.ReadAllText(Path.Combine(output, "report.html")));
    }

    [Theory]
    [InlineData("0.5,1", "not in [0, 1)")]
    [InlineData("0.5,0.2", "must increase")]
    [InlineData("0.1,x", "'x' is not a number")]
    [InlineData("-0.1", "not in [0, 1)")]
    public void BadRoadFractionsAreRefusedBeforeAnythingIsWritten(string fractions, string problem)
    {
        using var tmp = new TempDir();
        string output = Path.Combine(tmp.Path, "e");
        var r = CliRunner.Run("evaluate", "--dataset", "synth:1:5:64", "--model", GoldenData.Path(GoldenData.Sets[1], "weights.safetensors"), "--methods", "rollout",
            "--road-fractions", fractions, "--out", output);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--road-fractions", r.Err);
        Assert.Contains(problem, r.Err);
        Assert.False(Directory.Exists(output));
        Assert.Throws<ArgumentException>(() => RoadCurves.ParseFractions(fractions, "x"));
    }

    [Fact]
    public void ParsedFractionsAreTheNumbersGiven()
    {
        Assert.Equal([0.0, 0.1, 0.95], RoadCurves.ParseFractions("0, 0.1,0.95", "x"));
        Assert.Equal([0.5], RoadCurves.ParseFractions("0.5", "x"));
        Assert.Throws<ArgumentException>(() => RoadCurves.ParseFractions(string.Join(",", Enumerable.Range(0, 100).Select(i => (i / 100.0).ToString(System.Globalization.CultureInfo.InvariantCulture))), "x"));
    }
}
