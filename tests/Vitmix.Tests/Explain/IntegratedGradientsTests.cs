using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Explain;

/// <summary>
/// Integrated gradients against maps computed independently in PyTorch by tests/reference/ig.py, which follows the
/// paper's right Riemann rule and Captum's default Gauss–Legendre rule on gae.py's timm forward: every golden model
/// and image, both rules, 5 and 50 points, the zeros and the blur baseline (the blur built there from RISE's
/// definition with scipy).
/// </summary>
public class IntegratedGradientsTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    static string ReferencePath(string set, string image, string name) =>
        Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Explain", "Reference", "ig", set, image, name + ".npy");

    static float[] Reference(string set, string image, string name) => Npy.Read(ReferencePath(set, image, name)).ToFloat();

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, $"{what}: the reference map is all zero, so it cannot tell a right map from a wrong one");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * scale + 1e-4 * Math.Abs(expected[i]),
                $"{what}, element {i}: {actual[i]} vs the reference's {expected[i]}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void BothRulesBaselinesAndStepCounts_MatchThePyTorchReference(string set, string image)
    {
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, image);
        foreach (var rule in new[] { "right", "gausslegendre" })
        foreach (var baseline in new[] { "zeros", "blur" })
            foreach (int steps in new[] { 5, 50 })
            {
                var options = new ExplainerOptions().Set("ig-steps", steps).Set("ig-baseline", baseline).Set("ig-rule", rule);
                var e = ExplainerSet.Parse("ig", options).Explain(model, input)[0];
                string name = $"ig_{rule}_{baseline}_n{steps}", what = $"{set}/{image} {rule} rule, {baseline} baseline, {steps} steps";
                AssertClose(Reference(set, image, name), e.Maps["ig"].Values, what + ", grid");
                AssertClose(Reference(set, image, name + ".pixels"), e.Maps["ig.pixels"].Values, what + ", pixels");
                var checks = Npy.Read(ReferencePath(set, image, name + ".checks")).Values;
                double tolerance = 1e-4 * Math.Max(1, Math.Abs(checks[1]));
                Assert.True(Math.Abs(e.Checks["ig.sum"] - checks[0]) <= tolerance, $"{what}: Σ attribution {e.Checks["ig.sum"]} vs {checks[0]}");
                Assert.True(Math.Abs(e.Checks["ig.score-change"] - checks[1]) <= tolerance, $"{what}: y(x) − y(x') {e.Checks["ig.score-change"]} vs {checks[1]}");
            }
    }

    [Fact]
    public void TheCompletenessGapShrinksAsStepsGrow()
    {
        string set = GoldenData.Sets[1], image = GoldenData.Images[0];
        var model = GoldenData.Model(set);
        using var pass = ExplanationPass.Compute(model, GoldenData.Input(set, image), PassRequirements.None);
        double Gap(int steps) => Math.Abs(new IntegratedGradients { Steps = steps, Rule = IntegrationRule.GaussLegendre }.Attribute(pass, 0).Gap);
        // Gauss–Legendre's error need not fall from one tiny rule to the next (here 2 points miss less than 5), but it
        // falls fast once the rule resolves the path: 2.7, 0.13, 0.0003 for 5, 20, 50 points.
        var gaps = new[] { 5, 20, 50 }.Select(Gap).ToArray();
        for (int i = 1; i < gaps.Length; i++) Assert.True(gaps[i] < gaps[i - 1], $"gaps {string.Join(", ", gaps)} do not shrink");
        var at50 = new IntegratedGradients { Steps = 50, Rule = IntegrationRule.GaussLegendre }.Attribute(pass, 0);
        Assert.True(Math.Abs(at50.Gap) < 1e-3 * Math.Abs(at50.ScoreChange), $"gap {at50.Gap} of y(x) − y(x') = {at50.ScoreChange}");

        // The right rule (the default, the paper's) converges too, more slowly: first order once m resolves the path.
        double Right(int steps) => Math.Abs(new IntegratedGradients { Steps = steps }.Attribute(pass, 0).Gap);
        double r10 = Right(10), r40 = Right(40), r160 = Right(160);
        Assert.True(r160 < r40 && r40 < r10 && r160 < r10 / 3, $"right rule gaps {r10}, {r40}, {r160} for 10, 40, 160 points");
    }

    [Fact]
    public void TheGaussLegendreRuleIsNumpysAndExactForPolynomialsOfDegree2nMinus1()
    {
        // numpy.polynomial.legendre.leggauss(3): nodes ±sqrt(3/5), 0 and weights 5/9, 8/9, 5/9 on [−1, 1].
        var (a3, w3) = IntegratedGradients.GaussLegendre(3);
        Assert.Equal([(1 - Math.Sqrt(0.6)) / 2, 0.5, (1 + Math.Sqrt(0.6)) / 2], a3, (x, y) => Math.Abs(x - y) < 1e-15);
        Assert.Equal([5 / 18.0, 8 / 18.0, 5 / 18.0], w3, (x, y) => Math.Abs(x - y) < 1e-15);
        foreach (int n in new[] { 1, 2, 7, 50, 64 })
        {
            var (alphas, weights) = IntegratedGradients.GaussLegendre(n);
            for (int degree = 0; degree < 2 * n; degree += Math.Max(1, n / 4))
            {
                double integral = alphas.Zip(weights, (a, w) => w * Math.Pow(a, degree)).Sum();
                Assert.True(Math.Abs(integral - 1.0 / (degree + 1)) < 1e-12, $"n {n}: ∫ α^{degree} = {integral}");
            }
            Assert.True(alphas.Zip(alphas.Skip(1), (x, y) => x < y).All(b => b), $"n {n}: nodes not ascending");
        }
    }

    [Fact]
    public void ABatchOfImagesGivesEachImageItsOwnMap()
    {
        string set = GoldenData.Sets[0];
        var model = GoldenData.Model(set);
        var a = GoldenData.Input(set, GoldenData.Images[0]);
        var b = GoldenData.Input(set, GoldenData.Images[1]);
        var both = new Vitmix.Engine.Tensor(a.Data.Concat(b.Data).ToArray(), 2, a.Dim(1), a.Dim(2), a.Dim(3));
        var batched = ExplainerSet.Parse("ig", new ExplainerOptions().Set("ig-baseline", "blur")).Explain(model, both);
        AssertClose(Reference(set, GoldenData.Images[0], "ig_right_blur_n50"), batched[0].Maps["ig"].Values, "first of a batch");
        AssertClose(Reference(set, GoldenData.Images[1], "ig_right_blur_n50"), batched[1].Maps["ig"].Values, "second of a batch");
    }

    [Fact]
    public void ExplainWritesTheMapsFusesThemAndPrintsTheCompletenessGap()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[0];
        var r = CliRunner.Run("explain", GoldenData.Path(set, "images", "disk.png"), "--model", GoldenData.Path(set, "weights.safetensors"),
            "--methods", "ig,smooth(saliency),rollout", "--combos", "ig+rollout,smooth-saliency+ig", "--ig-steps", "8", "--noise-samples", "4",
            "--raw", "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.Err);
        var folder = Path.Combine(tmp.Path, "disk");
        foreach (var file in new[] { "ig.npy", "ig.pixels.npy", "smooth-saliency.npy", "smooth-saliency.pixels.npy", "ig+rollout.gmean.npy",
                     "ig+rollout.gmean.mask.npy", "smooth-saliency+ig.gmean.npy" })
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing: {string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName))}");
        Assert.Contains(r.OutLines, l => l.StartsWith("ig: sum ") && l.Contains("completeness-gap"));
        Assert.Contains("\"ig.completeness-gap\"", File.ReadAllText(Path.Combine(folder, "summary.json")));
    }

    [Fact]
    public void ABadStepCountIsOneLineNamingTheOption()
    {
        string set = GoldenData.Sets[0];
        var r = CliRunner.Run("explain", GoldenData.Path(set, "images", "disk.png"), "--model", GoldenData.Path(set, "weights.safetensors"),
            "--methods", "ig", "--ig-steps", "0");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(r.ErrLines, l => l.Contains("--ig-steps") && l.Contains("'0'"));
        var e = Assert.Throws<ArgumentException>(() => ExplainerSet.Parse("ig", new ExplainerOptions().Set("ig-steps", 0)));
        Assert.StartsWith("ig-steps:", e.Message);
    }
}
