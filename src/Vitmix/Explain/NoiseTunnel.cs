using System.Numerics.Tensors;
using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Explain;

/// <summary>How a noise tunnel reduces the maps of the noisy copies, Captum's NoiseTunnelType.</summary>
public enum NoiseTunnelReduction
{
    /// <summary>SmoothGrad (Smilkov et al. 2017): the mean of the maps.</summary>
    Mean,
    /// <summary>SmoothGrad-squared (Hooker et al. 2019): the mean of the squared maps.</summary>
    MeanOfSquares,
    /// <summary>VarGrad (Adebayo et al. 2018): the variance of the maps, mean of squares − square of the mean.</summary>
    Variance,
}

/// <summary>
/// A noise tunnel over another method (Captum's captum/attr/_core/noise_tunnel.py): the inner method explains
/// <see cref="Samples"/> copies x + ε_k of the image, ε_k ~ N(0, σ²) per input value with σ = <see cref="Level"/> ·
/// (max x − min x) over the image's normalised values (Smilkov et al.'s noise level), and the maps are reduced per
/// value as <see cref="Reduction"/> says. Each map the inner method returns (NAME and NAME.pixels) becomes
/// PREFIX-NAME (and PREFIX-NAME.pixels); the maps, not the raw gradients, are what is averaged, so
/// smooth-saliency is the mean of max_c |∇y| over the copies. The copies of one image run through one shared pass of
/// the inner method per batch of at most 16. Noise copy k is drawn from its own generator seeded by
/// (<see cref="Seed"/>, k), so the maps do not depend on the batch an image is in, on its place there, or on how
/// the copies are chunked (every image of a run sees the same noise pattern k, scaled by its own σ). The noise is
/// <see cref="SplitMixGaussian"/>'s, specified to the bit, so it is the same on every machine.
/// </summary>
public abstract class NoiseTunnel : IExplainerWrapper
{
    // Noisy copies explained together: the inner method's pass is a recorded explanation pass, which evaluation and
    // TAM's scaled copies run in batches of 16 as well.
    const int MaxCopiesPerBatch = 16;

    readonly int samples = 25;
    readonly double level = 0.15;
    IExplainer? inner;

    /// <summary>The method's name prefix ("smooth").</summary>
    protected abstract string Prefix { get; }

    /// <summary>How the copies' maps are reduced.</summary>
    public abstract NoiseTunnelReduction Reduction { get; }

    /// <inheritdoc/>
    public IExplainer Inner
    {
        get => inner ?? throw new InvalidOperationException($"{Prefix} wraps a method that was not given: write {Prefix}-METHOD");
        set => inner = value is IExplainerWrapper ? throw new ArgumentException($"{Prefix} cannot wrap another wrapper ({value.Name})") : value;
    }

    /// <inheritdoc/>
    public string Name => $"{Prefix}-{Inner.Name}";

    /// <inheritdoc/>
    // Nothing from the image's own pass: every map comes from the noisy copies' passes.
    public PassRequirements Requires => PassRequirements.None;

    /// <summary>Noisy copies per image (25, the methods reference's n; Smilkov et al. use up to 50; Captum's nt_samples default is 5).</summary>
    [ExplainerOption("noise-samples", Description = "noise tunnel: noisy copies per image (25)", Minimum = 1, ValueName = "N")]
    public int Samples
    {
        get => samples;
        init => samples = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Samples), "noise samples must be ≥ 1");
    }

    /// <summary>σ as a fraction of the image's value range, max − min (Smilkov et al.'s noise level, 0.15).</summary>
    [ExplainerOption("noise-level", Description = "noise tunnel: noise σ as a fraction of the input's max − min (Smilkov et al.: 0.15)", Minimum = 0, ValueName = "FRACTION")]
    public double Level
    {
        get => level;
        init => level = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Level), "noise level must be a finite number ≥ 0");
    }

    /// <summary>Seed of the noise: the same seed gives the same maps.</summary>
    [ExplainerOption("noise-seed", Description = "noise tunnel: seed of the Gaussian noise", ValueName = "SEED")]
    public int Seed { get; init; }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        var inner = Inner;
        int length = c.InChannels * c.ImageHeight * c.ImageWidth, target = pass.Targets[sample];
        var image = pass.Input.Data.AsSpan(sample * length, length);
        float sigma = (float)(Level * (TensorPrimitives.Max(image) - TensorPrimitives.Min(image)));
        var statistics = new Dictionary<string, (Heatmap Shape, Moments Moments)>();
        var order = new List<string>();
        int seen = 0;
        foreach (var (first, count) in EvenChunks.Of(Samples, MaxCopiesPerBatch))
        {
            var copies = new Tensor(count, c.InChannels, c.ImageHeight, c.ImageWidth);
            for (int j = 0; j < count; j++)
            {
                var copy = copies.Data.AsSpan(j * length, length);
                SplitMixGaussian.Fill(Seed, first + j, 1f, copy);
                TensorPrimitives.MultiplyAdd(copy, sigma, image, copy);   // x + σ ε
            }
            using var noisy = ExplanationPass.Compute(pass.Model, copies, inner.Requires, Enumerable.Repeat(target, count).ToArray());
            for (int j = 0; j < count; j++)
            {
                seen++;
                foreach (var (key, map) in inner.Explain(noisy, j))
                {
                    if (!statistics.TryGetValue(key, out var s))
                    {
                        statistics[key] = s = (map, new Moments(map.Values.Length, Reduction));
                        order.Add(key);
                    }
                    s.Moments.Add(map.Values, seen);
                }
            }
        }
        foreach (var key in order)
        {
            var (shape, moments) = statistics[key];
            yield return new(Rename(key, inner.Name), new Heatmap(moments.Result(seen), shape.Height, shape.Width));
        }
    }

    /// <summary>NAME → PREFIX-NAME, NAME.pixels → PREFIX-NAME.pixels.</summary>
    string Rename(string key, string innerName) =>
        key.StartsWith(innerName, StringComparison.Ordinal) ? Name + key[innerName.Length..] : $"{Prefix}-{key}";

    /// <summary>
    /// Running mean, mean of squares or Welford's sum of squared deviations of maps added one at a time. Running means
    /// (m += (v − m)/k) rather than sums keep the result exact when every copy gives the same map (noise level 0),
    /// and Welford's update keeps the variance non-negative where mean of squares − squared mean can cancel below 0.
    /// </summary>
    sealed class Moments(int length, NoiseTunnelReduction reduction)
    {
        readonly float[] mean = new float[length];          // of the maps, or of their squares
        readonly float[] deviations = new float[length];    // Welford's M2: Σ (v − mean_{k−1})(v − mean_k)
        readonly float[] before = new float[length];
        readonly float[] after = new float[length];

        /// <summary>Adds the <paramref name="k"/>-th map (1-based).</summary>
        public void Add(ReadOnlySpan<float> values, int k)
        {
            if (reduction == NoiseTunnelReduction.MeanOfSquares)
            {
                TensorPrimitives.Multiply(values, values, after);
                values = after;
            }
            TensorPrimitives.Subtract(values, mean, before);
            TensorPrimitives.MultiplyAdd(before, 1f / k, mean, mean);
            if (reduction == NoiseTunnelReduction.Variance)
            {
                TensorPrimitives.Subtract(values, mean, after);
                TensorPrimitives.MultiplyAdd(before, after, deviations, deviations);
            }
        }

        /// <summary>The reduction of the <paramref name="n"/> maps added.</summary>
        public float[] Result(int n)
        {
            if (reduction != NoiseTunnelReduction.Variance) return mean;
            TensorPrimitives.Divide(deviations, n, deviations);   // population variance, as Captum's vargrad
            return deviations;
        }
    }
}

/// <summary>SmoothGrad (Smilkov et al. 2017) over another method: smooth-saliency, smooth-gae, …</summary>
[Explainer("smooth", Summary = "SmoothGrad: the mean map over noisy copies, as smooth-METHOD (Smilkov et al. 2017)", Wraps = true,
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, Order = 200)]
public sealed class SmoothGrad : NoiseTunnel
{
    /// <inheritdoc/>
    protected override string Prefix => "smooth";
    /// <inheritdoc/>
    public override NoiseTunnelReduction Reduction => NoiseTunnelReduction.Mean;
}

/// <summary>SmoothGrad-squared (Hooker et al. 2019) over another method: smoothsq-saliency, …</summary>
[Explainer("smoothsq", Summary = "SmoothGrad-squared: the mean squared map over noisy copies, as smoothsq-METHOD (Hooker et al. 2019)", Wraps = true,
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, Order = 201)]
public sealed class SmoothGradSquared : NoiseTunnel
{
    /// <inheritdoc/>
    protected override string Prefix => "smoothsq";
    /// <inheritdoc/>
    public override NoiseTunnelReduction Reduction => NoiseTunnelReduction.MeanOfSquares;
}

/// <summary>VarGrad (Adebayo et al. 2018) over another method: vargrad-saliency, …</summary>
[Explainer("vargrad", Summary = "VarGrad: the variance of the map over noisy copies, as vargrad-METHOD (Adebayo et al. 2018)", Wraps = true,
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, Order = 202)]
public sealed class VarGrad : NoiseTunnel
{
    /// <inheritdoc/>
    protected override string Prefix => "vargrad";
    /// <inheritdoc/>
    public override NoiseTunnelReduction Reduction => NoiseTunnelReduction.Variance;
}
