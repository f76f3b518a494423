using Vitmix.Engine;
using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

/// <summary>Curves computed together share the images they have in common, and give the numbers each curve gives alone.</summary>
public class CurveSetTests
{
    static (Vitmix.Model.VisionTransformer Net, Tensor Image, float[][] Maps) Fixture()
    {
        string set = GoldenData.Sets[0];
        var net = GoldenModel.Load(set);
        var a = GoldenData.Npy(set, "disk", "input.npy");
        var maps = new[] { "fusion/LRP+rollout_sqrt__norm.npy", "fusion/rollout__norm.npy", "fusion/LRP__norm.npy" }
            .Select(f => GoldenData.Npy(set, "disk", f).ToFloat()).ToArray();
        return (net, new Tensor(a.ToFloat(), a.Shape), maps);
    }

    static void Near(PerturbationCurve expected, PerturbationCurve actual, string what)
    {
        Assert.Equal(expected.TargetClass, actual.TargetClass);
        Assert.Equal(expected.Probabilities.Length, actual.Probabilities.Length);
        for (int i = 0; i < expected.Probabilities.Length; i++)
            Assert.True(Math.Abs(expected.Probabilities[i] - actual.Probabilities[i]) < 1e-6,
                $"{what}, point {i}: alone {expected.Probabilities[i]}, in the set {actual.Probabilities[i]}");
        Assert.Equal(expected.Auc, actual.Auc, 6);
    }

    [Fact]
    public void EveryCurveOfASet_EqualsTheCurveComputedAlone()
    {
        var (net, x, maps) = Fixture();
        var options = new PerturbationOptions { Steps = 16, BatchSize = 7 };
        var set = new CurveSet(net, x, options);
        foreach (var m in maps) { set.Add(CurveKind.Deletion, m); set.Add(CurveKind.Insertion, m); }
        var result = set.Compute();
        for (int i = 0; i < maps.Length; i++)
        {
            Near(new DeletionCurve(net, options).Compute(x, maps[i]), result.Curves[2 * i], $"deletion of map {i}");
            Near(new InsertionCurve(net, options).Compute(x, maps[i]), result.Curves[2 * i + 1], $"insertion of map {i}");
        }
        // 6 curves of 17 points and the original (insertion's target): the original is every deletion's first point,
        // and the blurred image every insertion's first point, so 2 + 6·16 images at most.
        Assert.Equal(6 * 17, result.RequestedImages);
        Assert.True(result.EvaluatedImages <= 2 + 6 * 16, $"{result.EvaluatedImages} images forwarded");
    }

    [Fact]
    public void RankingsThatPerturbTheSamePixels_ShareThoseImages_EvenInAnotherOrder()
    {
        var (net, x, _) = Fixture();
        int plane = 32 * 32, steps = 8, pps = plane / steps;
        var a = Enumerable.Range(0, plane).ToArray();
        // b: the same blocks of pps pixels as a for the first 4 steps, each block reversed inside, then a shuffled tail.
        var b = (int[])a.Clone();
        for (int s = 0; s < 4; s++) Array.Reverse(b, s * pps, pps);
        new Random(5).Shuffle(b.AsSpan(4 * pps));
        var options = new PerturbationOptions { Steps = steps, BatchSize = 4, TargetClass = 0 };
        var set = new CurveSet(net, x, options);
        set.Add(CurveKind.Deletion, a);
        set.Add(CurveKind.Deletion, b);
        set.Add(CurveKind.Deletion, a);
        var result = set.Compute();
        // Points 0..4 coincide as sets (the original and four equal prefixes), 5..7 differ, 8 perturbs every pixel in both.
        Assert.Equal(3 * (steps + 1), result.RequestedImages);
        Assert.Equal(5 + 3 + 3 + 1, result.EvaluatedImages);
        Assert.Equal(result.Curves[0].Probabilities, result.Curves[2].Probabilities);
        Near(new DeletionCurve(net, options).Compute(x, (ReadOnlySpan<int>)b), result.Curves[1], "the reordered ranking");
        for (int i = 0; i <= 4; i++) Assert.Equal(result.Curves[0].Probabilities[i], result.Curves[1].Probabilities[i]);
    }

    [Fact]
    public void DeletionToASubstrate_SharesWithInsertionFromIt_WhereThePixelSetsAreComplements()
    {
        var (net, x, maps) = Fixture();
        // With the same substrate, deleting the top s·pps pixels of a ranking shows the image that inserting the
        // other pixels shows: the reversed ranking's insertion at n − s steps (4 steps divide 1024 pixels exactly).
        var order = PixelOrder.Descending(maps[0]);
        var reversed = order.Reverse().ToArray();
        var options = new PerturbationOptions { Steps = 4, BatchSize = 3, Substrate = PerturbationSubstrate.Blur, TargetClass = 1 };
        var set = new CurveSet(net, x, options);
        set.Add(CurveKind.Deletion, order);
        set.Add(CurveKind.Insertion, reversed);
        var result = set.Compute();
        Assert.Equal(5, result.EvaluatedImages);
        Assert.Equal(result.Curves[0].Probabilities, result.Curves[1].Probabilities.Reverse());
    }

    [Fact]
    public void Fractions_PerturbTheirShareOfThePixels_AndTheAreaUsesTheirSpacing()
    {
        var (net, x, maps) = Fixture();
        double[] fractions = [0, 0.1, 0.25, 0.5, 0.9];
        var curve = new DeletionCurve(net, new PerturbationOptions { Fractions = fractions, BatchSize = 2 }).Compute(x, maps[1]);
        Assert.Equal(fractions.Length, curve.Probabilities.Length);
        // floor(f · 1024) pixels: 0, 102, 256, 512, 921; the same points as an even-step curve where they coincide.
        var even = new DeletionCurve(net, new PerturbationOptions { Steps = 4, BatchSize = 5 }).Compute(x, maps[1]);
        Assert.Equal(even.Probabilities[0], curve.Probabilities[0], 6);
        Assert.Equal(even.Probabilities[1], curve.Probabilities[2], 6);
        Assert.Equal(even.Probabilities[2], curve.Probabilities[3], 6);
        var p = curve.Probabilities;
        double area = (0.1 * (p[0] + p[1]) + 0.15 * (p[1] + p[2]) + 0.25 * (p[2] + p[3]) + 0.4 * (p[3] + p[4])) / 2 / 0.9;
        Assert.Equal(area, curve.Auc, 12);
        Assert.Equal(1024 - 921, curve.NeverChanged);
    }

    [Theory]
    [InlineData("0.1", "at least 2 fractions")]
    [InlineData("0,0.5,0.5", "must increase")]
    [InlineData("0,1.5", "not in [0, 1]")]
    [InlineData("0,x", "'x' is not a number")]
    public void BadFractions_AreRefusedNamingTheEntry(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => CurveSchedule.ParseFractions(text, "--curve-fractions"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("--curve-fractions", e.Message);
    }

    [Fact]
    public void CoarserSteps_ReadOffTheRunsOwnCurves()
    {
        Assert.True(Vitmix.Fusion.MapId.TryParse("rollout", "otsu", out var map));
        Assert.True(Vitmix.Fusion.MapId.TryParse("saliency", "otsu", out var other));
        // A straight fall from 1 to 0 has area 0.5 at any step count; a curve that drops at the first step does not.
        var line = Enumerable.Range(0, 11).Select(i => 1 - i / 10.0).ToArray();
        var drop = Enumerable.Range(0, 11).Select(i => i == 0 ? 1.0 : 0.0).ToArray();
        var rows = CurveResolution.Analyse([new CurveRow("a", map, "deletion", line), new CurveRow("a", other, "deletion", drop)]);
        var five = Assert.Single(rows);
        Assert.Equal(5, five.Steps);
        // drop: 0.05 with 10 steps, 0.1 with 5; line: 0.5 both.
        Assert.Equal(0.025, five.MeanAbsoluteDifference, 12);
        Assert.Equal(0.05, five.MaxAbsoluteDifference, 12);
        Assert.Equal(1.0, five.RankCorrelation, 12);
    }
}
