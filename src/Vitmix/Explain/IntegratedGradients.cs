using System.Numerics.Tensors;
using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Evaluation;

namespace Vitmix.Explain;

/// <summary>The reference input x' integrated gradients starts its path from.</summary>
public enum IntegratedGradientsBaseline
{
    /// <summary>0 in the normalised input space (the model's input tensor): the mean colour for mean = std = 0.5.</summary>
    Zeros,
    /// <summary>RISE's Gaussian blur of the image (kernel 11, σ 5, zero padding), as <see cref="PerturbationSubstrate.Blur"/>.</summary>
    Blur,
}

/// <summary>How integrated gradients approximates the path integral.</summary>
public enum IntegrationRule
{
    /// <summary>The Riemann right rule of the paper: α_k = k/m for k = 1 … m, every point weighted 1/m.</summary>
    Right,
    /// <summary>Captum's default (method "gausslegendre"): the m-point Gauss–Legendre nodes and weights moved to [0, 1].</summary>
    GaussLegendre,
}

/// <summary>
/// One image's integrated-gradients attribution and its completeness check: the attributions should sum to
/// y(x) − y(x'), and <see cref="Gap"/> is how far the quadrature is from that.
/// </summary>
/// <param name="Values">The attribution (C, H, W), row-major per channel.</param>
/// <param name="Sum">Σ attribution over every channel and pixel.</param>
/// <param name="Score">y(x), the target logit at the image.</param>
/// <param name="BaselineScore">y(x'), the target logit at the baseline.</param>
public sealed record IntegratedGradientsAttribution(float[] Values, double Sum, float Score, float BaselineScore)
{
    /// <summary>y(x) − y(x'), what the attributions should sum to.</summary>
    public double ScoreChange => (double)Score - BaselineScore;

    /// <summary>Σ attribution − (y(x) − y(x')): zero for the exact integral (Sundararajan et al.'s completeness axiom).</summary>
    public double Gap => Sum - ScoreChange;
}

/// <summary>
/// Integrated gradients (Sundararajan, Taly &amp; Yan, "Axiomatic Attribution for Deep Networks", ICML 2017):
/// attribution = (x − x') ⊙ Σ_k w_k ∇_x y_target(x' + α_k (x − x')). By default the paper's Riemann right rule,
/// α_k = k/m and w_k = 1/m for k = 1 … m (the definition the project's methods reference gives); with
/// <see cref="Rule"/> = GaussLegendre, Captum's default (captum/attr/_core/integrated_gradients.py,
/// IntegratedGradients._attribute, with captum/attr/_utils/approximation_methods.py, method "gausslegendre"): the
/// Gauss–Legendre nodes and weights of m points moved from [−1, 1] to [0, 1], which integrates the smooth path of a
/// GELU network with fewer points, so maps agree with what Captum users compute. Both rules' weights sum to 1. The pixel map "ig.pixels" (H, W) is the signed attribution summed over colour channels (Captum's
/// visualisation sums channels too); the grid map "ig" is that pixel map resized to the patch grid the way
/// <see cref="Saliency"/> makes its grid map. The path points run through the input-gradient backward in batches
/// of at most 16. <see cref="Attribute"/> also reports the completeness gap, and the shared set records it as
/// ig.sum, ig.score-change and ig.completeness-gap.
/// </summary>
[Explainer("ig", Aliases = ["integrated-gradients"], Summary = "integrated gradients, (x − x')·∫∇y along the path from a baseline (Sundararajan et al. 2017)",
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, InAll = true, Order = 35)]
public sealed class IntegratedGradients : ISelfCheckingExplainer
{
    // Path points forwarded and differentiated together: a recorded ViT-B sample is about as large as a sample of an
    // explanation pass, and TAM's scaled copies run in batches of 16 as well.
    const int MaxPointsPerBatch = 16;

    readonly int steps = 50;

    /// <inheritdoc/>
    public string Name => "ig";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.None;

    /// <summary>Points of the quadrature along the path (m; the paper's and Captum's n_steps, 50).</summary>
    [ExplainerOption("ig-steps", Description = "integrated gradients: points along the path from the baseline (m, 50)", Minimum = 1, ValueName = "N")]
    public int Steps
    {
        get => steps;
        init => steps = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Steps), "steps must be ≥ 1");
    }

    /// <summary>The quadrature: the paper's right rule (default) or Captum's Gauss–Legendre.</summary>
    [ExplainerOption("ig-rule", Description = "integrated gradients: quadrature, right (the paper's Riemann right rule, α = k/m) or gausslegendre (Captum's default)")]
    public IntegrationRule Rule { get; init; } = IntegrationRule.Right;

    /// <summary>Where the path starts.</summary>
    [ExplainerOption("ig-baseline", Description = "integrated gradients: the baseline x', zeros (in the normalised input) or blur (RISE's Gaussian blur of the image)")]
    public IntegratedGradientsBaseline Baseline { get; init; } = IntegratedGradientsBaseline.Zeros;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample) => Maps(pass, Attribute(pass, sample));

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample, IDictionary<string, double> checks)
    {
        var a = Attribute(pass, sample);
        checks[Name + ".sum"] = a.Sum;
        checks[Name + ".score-change"] = a.ScoreChange;
        checks[Name + ".completeness-gap"] = a.Gap;
        return Maps(pass, a);
    }

    /// <summary>The attribution (C, H, W) of sample <paramref name="sample"/> of <paramref name="pass"/> for its target, with the completeness check.</summary>
    public IntegratedGradientsAttribution Attribute(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int length = c.InChannels * c.ImageHeight * c.ImageWidth, target = pass.Targets[sample];
        var image = pass.Input.Data.AsSpan(sample * length, length);
        var baseline = Baseline == IntegratedGradientsBaseline.Blur
            ? Substrates.Create(PerturbationSubstrate.Blur, image, c.InChannels, c.ImageHeight, c.ImageWidth)
            : new float[length];
        var difference = new float[length];
        TensorPrimitives.Subtract(image, baseline, difference);

        var (alphas, weights) = Rule == IntegrationRule.GaussLegendre ? GaussLegendre(Steps) : RightRiemann(Steps);
        var integral = new float[length];   // Σ_k w_k ∇y(x' + α_k (x − x'))
        foreach (var (first, count) in EvenChunks.Of(Steps, MaxPointsPerBatch))
        {
            var points = new Tensor(count, c.InChannels, c.ImageHeight, c.ImageWidth);
            for (int j = 0; j < count; j++)
                TensorPrimitives.MultiplyAdd(difference, (float)alphas[first + j], baseline, points.Data.AsSpan(j * length, length));
            using var path = ExplanationPass.Compute(pass.Model, points, PassRequirements.InputGradient, Enumerable.Repeat(target, count).ToArray());
            for (int j = 0; j < count; j++)
                TensorPrimitives.MultiplyAdd(path.InputGradient.AsSpan(j * length, length), (float)weights[first + j], integral, integral);
        }
        var attribution = integral;
        TensorPrimitives.Multiply(integral, difference, attribution);

        float score = pass.Logits[sample * c.NumClasses + target];
        float baselineScore = pass.Model.Forward(new Tensor(baseline, 1, c.InChannels, c.ImageHeight, c.ImageWidth)).Data[target];
        double sum = 0;
        foreach (float v in attribution) sum += v;   // in double: the gap is a small difference of large sums
        return new IntegratedGradientsAttribution(attribution, sum, score, baselineScore);
    }

    IEnumerable<KeyValuePair<string, Heatmap>> Maps(ExplanationPass pass, IntegratedGradientsAttribution attribution)
    {
        var c = pass.Config;
        int plane = c.ImageHeight * c.ImageWidth;
        var pixels = attribution.Values.AsSpan(0, plane).ToArray();
        for (int ch = 1; ch < c.InChannels; ch++) TensorPrimitives.Add(pixels, attribution.Values.AsSpan(ch * plane, plane), pixels);
        var grid = new float[c.NumPatches];
        BilinearResize.Resize(pixels, c.ImageHeight, c.ImageWidth, grid, c.GridHeight, c.GridWidth);
        yield return new(Name, new Heatmap(grid, c.GridHeight, c.GridWidth));
        yield return new(Name + ".pixels", new Heatmap(pixels, c.ImageHeight, c.ImageWidth));
    }

    /// <summary>The paper's right Riemann sum on [0, 1]: α_k = k/n for k = 1 … n, each weighted 1/n.</summary>
    internal static (double[] Alphas, double[] Weights) RightRiemann(int n) =>
        (Enumerable.Range(1, n).Select(k => (double)k / n).ToArray(), Enumerable.Repeat(1.0 / n, n).ToArray());

    /// <summary>
    /// The <paramref name="n"/>-point Gauss–Legendre rule on [0, 1], nodes ascending as numpy's leggauss gives them:
    /// α = (1 + x)/2 and w = w_x/2 for the roots x of the Legendre polynomial P_n, found by Newton's method from
    /// Tricomi's approximation cos(π(i + 3/4)/(n + 1/2)) and refined to double precision.
    /// </summary>
    internal static (double[] Alphas, double[] Weights) GaussLegendre(int n)
    {
        var alphas = new double[n];
        var weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                // P_n(x) by the three-term recurrence, and P_n'(x) = n (x P_n − P_{n−1}) / (x² − 1).
                double p = 1, previous = 0;
                for (int k = 1; k <= n; k++) (p, previous) = (((2 * k - 1) * x * p - (k - 1) * previous) / k, p);
                derivative = n * (x * p - previous) / (x * x - 1);
                double step = p / derivative;
                x -= step;
                if (Math.Abs(step) < 1e-16) break;
            }
            double w = 2 / ((1 - x * x) * derivative * derivative);
            // x is the i-th largest root; −x its mirror.
            alphas[n - 1 - i] = (1 + x) / 2; weights[n - 1 - i] = w / 2;
            alphas[i] = (1 - x) / 2; weights[i] = w / 2;
        }
        return (alphas, weights);
    }
}
