using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Options of a deletion or insertion curve.</summary>
public sealed record PerturbationOptions
{
    /// <summary>Number of steps n; the curve has n + 1 points. RISE and ViTmiX use 100.</summary>
    public int Steps { get; init; } = 100;
    /// <summary>
    /// Fractions of the pixels perturbed at the curve's points (strictly increasing, in [0, 1], e.g. ROAD's
    /// 0, 0.1, …, 0.9); when set they replace the <see cref="Steps"/> even steps.
    /// </summary>
    public IReadOnlyList<double>? Fractions { get; init; }
    /// <summary>Perturbed images per forward call.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Substrate; null = the curve's default (zeros for deletion, blur for insertion).</summary>
    public PerturbationSubstrate? Substrate { get; init; }
    /// <summary>Class whose probability is tracked; null = the top-1 class of the unperturbed image.</summary>
    public int? TargetClass { get; init; }
    /// <summary>Normalisation mean/std of the model (per channel, pixel units), for the black substrate.</summary>
    public IReadOnlyList<float>? NormalizationMean { get; init; }
    /// <summary>Normalisation std of the model, per channel, paired with <see cref="NormalizationMean"/>.</summary>
    public IReadOnlyList<float>? NormalizationStd { get; init; }
}

/// <summary>One curve: the n + 1 probabilities of the target class and its area.</summary>
/// <param name="Probabilities">softmax(logits)[target] after 0..n steps (float32 softmax, stored as double).</param>
/// <param name="TargetClass">The class tracked.</param>
/// <param name="Auc">Trapezoid rule on [0, 1]: (Σa − a₀/2 − aₙ/2) / n.</param>
/// <param name="PixelsPerStep">floor(H·W / n), as the ViTmiX reference (0 for a curve sampled at fractions).</param>
/// <param name="NeverChanged">Pixels at the end of the order that no point reaches (H·W − n·pps for even steps).</param>
public sealed record PerturbationCurve(double[] Probabilities, double Auc, int TargetClass, int PixelsPerStep, int NeverChanged)
{
    /// <summary>Trapezoid area of a curve sampled at n + 1 evenly spaced points of [0, 1].</summary>
    public static double Area(ReadOnlySpan<double> a)
    {
        if (a.Length < 2) throw new ArgumentException($"a curve needs at least 2 points, got {a.Length}");
        double s = 0;
        foreach (double v in a) s += v;
        return (s - a[0] / 2 - a[^1] / 2) / (a.Length - 1);
    }
}

/// <summary>
/// One RISE curve (Petsiuk, Das &amp; Saenko 2018): walk the pixel order in n blocks of pps = floor(H·W / n) pixels
/// (or to given fractions), moving each block from the start image to the end image (all channels, cumulatively), and
/// read the target probability after each step, in batches of <see cref="PerturbationOptions.BatchSize"/>, never one
/// forward per step. Several curves of one image share their work through a <see cref="CurveSet"/>.
/// </summary>
public abstract class PerturbationCurveBase
{
    readonly VisionTransformer network;
    /// <summary>The options the curve was built with (defaults when none were given).</summary>
    protected PerturbationOptions Options { get; }

    /// <summary>
    /// A curve over <paramref name="network"/>; throws an <see cref="ArgumentNullException"/> without a network and an
    /// <see cref="ArgumentException"/> when the steps or the batch size are below 1.
    /// </summary>
    protected PerturbationCurveBase(VisionTransformer network, PerturbationOptions? options)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        Options = options ?? new PerturbationOptions();
        if (Options.Fractions is null && Options.Steps < 1) throw new ArgumentException($"perturbation steps {Options.Steps} must be at least 1");
        if (Options.BatchSize < 1) throw new ArgumentException($"perturbation batch size {Options.BatchSize} must be at least 1");
    }

    /// <summary>Which way the curve walks.</summary>
    protected abstract CurveKind Kind { get; }

    /// <summary>Curve for the pixels ranked by <paramref name="map"/> (H·W values, descending, ties by index).</summary>
    public PerturbationCurve Compute(Tensor image, ReadOnlySpan<float> map) => Compute(image, PixelOrder.Descending(map));

    /// <summary>Curve for an explicit pixel order (a permutation of the H·W flat indices, e.g. a replayed NumPy order).</summary>
    public PerturbationCurve Compute(Tensor image, ReadOnlySpan<int> order)
    {
        var set = new CurveSet(network, image, Options);
        set.Add(Kind, order);
        return set.Compute().Curves[0];
    }
}

/// <summary>
/// Deletion curve (RISE): start from the image and replace the most relevant pixels first with the substrate
/// (zeros of the normalised tensor by default); a good map makes the probability fall fast (low AUC).
/// </summary>
public sealed class DeletionCurve(VisionTransformer network, PerturbationOptions? options = null) : PerturbationCurveBase(network, options)
{
    /// <inheritdoc/>
    protected override CurveKind Kind => CurveKind.Deletion;

    /// <summary>The ViTmiX script's variant: 100 steps, zeros substrate, pixels ranked by the binary mask (object first, ties by index).</summary>
    public static PerturbationCurve VitmixScript(VisionTransformer network, Tensor image, ReadOnlySpan<byte> mask, int batchSize = 16) =>
        new DeletionCurve(network, new PerturbationOptions { Steps = 100, Substrate = PerturbationSubstrate.Zeros, BatchSize = batchSize })
            .Compute(image, PixelOrder.FromMask(mask));
}

/// <summary>
/// Insertion curve (RISE): start from the substrate (Gaussian blur, kernel 11, σ 5 by default) and reveal the most
/// relevant pixels of the image first; a good map makes the probability rise fast (high AUC).
/// </summary>
public sealed class InsertionCurve(VisionTransformer network, PerturbationOptions? options = null) : PerturbationCurveBase(network, options)
{
    /// <inheritdoc/>
    protected override CurveKind Kind => CurveKind.Insertion;
}
