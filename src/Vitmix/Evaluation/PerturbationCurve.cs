using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Options of a deletion or insertion curve.</summary>
public sealed record PerturbationOptions
{
    /// <summary>Number of steps n; the curve has n + 1 points. RISE and ViTmiX use 100.</summary>
    public int Steps { get; init; } = 100;
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
/// <param name="PixelsPerStep">floor(H·W / n), as the ViTmiX reference.</param>
/// <param name="NeverChanged">H·W − n·pps pixels at the end of the order that no step reaches.</param>
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
/// Shared machinery of the RISE curves (Petsiuk, Das &amp; Saenko 2018): walk the pixel order in n blocks of
/// pps = floor(H·W / n) pixels, moving each block from the start image to the end image (all channels, cumulatively),
/// and read the target probability after each step. Every perturbed image is built first and evaluated in batches of
/// <see cref="PerturbationOptions.BatchSize"/>, never one forward per step.
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
        if (Options.Steps < 1) throw new ArgumentException($"perturbation steps {Options.Steps} must be at least 1");
        if (Options.BatchSize < 1) throw new ArgumentException($"perturbation batch size {Options.BatchSize} must be at least 1");
    }

    /// <summary>The substrate used when <see cref="PerturbationOptions.Substrate"/> is null.</summary>
    protected abstract PerturbationSubstrate DefaultSubstrate { get; }

    /// <summary>True when the walk starts from the image (deletion), false when it starts from the substrate (insertion).</summary>
    protected abstract bool StartsFromImage { get; }

    /// <summary>Curve for the pixels ranked by <paramref name="map"/> (H·W values, descending, ties by index).</summary>
    public PerturbationCurve Compute(Tensor image, ReadOnlySpan<float> map) => Compute(image, PixelOrder.Descending(map));

    /// <summary>Curve for an explicit pixel order (a permutation of the H·W flat indices, e.g. a replayed NumPy order).</summary>
    public PerturbationCurve Compute(Tensor image, ReadOnlySpan<int> order)
    {
        var c = network.Config;
        if (image.Rank != 4 || image.Dim(0) != 1 || image.Dim(1) != c.InChannels || image.Dim(2) != c.ImageHeight || image.Dim(3) != c.ImageWidth)
            throw new ArgumentException($"perturbation needs one normalised image [1, {c.InChannels}, {c.ImageHeight}, {c.ImageWidth}], got {image}");
        int ch = c.InChannels, h = c.ImageHeight, w = c.ImageWidth, plane = h * w, size = ch * plane;
        PixelOrder.Validate(order, plane, "perturbation order");
        int n = Options.Steps, pps = plane / n;
        if (pps == 0) throw new ArgumentException($"{n} steps over {plane} pixels leave no pixel per step; use at most {plane} steps");

        var substrate = Substrates.Create(Options.Substrate ?? DefaultSubstrate, image.Data, ch, h, w, Options.NormalizationMean, Options.NormalizationStd);
        var start = StartsFromImage ? image.Data : substrate;
        var end = StartsFromImage ? substrate : image.Data;
        // Insertion never shows the original unless asked for its class: append it as one extra image.
        bool needOriginal = Options.TargetClass is null && !StartsFromImage;
        int images = n + 1 + (needOriginal ? 1 : 0);
        int k = c.NumClasses;
        var logits = new float[images * k];

        var current = (float[])start.Clone();
        int batch = Math.Min(Options.BatchSize, images);
        var buffer = new float[batch * size];
        int step = 0;
        for (int first = 0; first < images; first += batch)
        {
            int count = Math.Min(batch, images - first);
            for (int b = 0; b < count; b++, step++)
            {
                var slot = buffer.AsSpan(b * size, size);
                if (step > n) { image.Data.CopyTo(slot); continue; }
                if (step > 0)
                {
                    foreach (int p in order.Slice((step - 1) * pps, pps))
                        for (int q = 0; q < ch; q++) current[q * plane + p] = end[q * plane + p];
                }
                current.CopyTo(slot);
            }
            var input = count == batch ? new Tensor(buffer, batch, ch, h, w) : new Tensor(buffer[..(count * size)], count, ch, h, w);
            network.Forward(input).Data.AsSpan(0, count * k).CopyTo(logits.AsSpan(first * k));
        }

        int target = Options.TargetClass ?? Probabilities.ArgMax(logits.AsSpan((StartsFromImage ? 0 : n + 1) * k, k));
        if ((uint)target >= (uint)k) throw new ArgumentException($"target class {target} is outside 0..{k - 1}");
        var probs = new double[n + 1];
        for (int i = 0; i <= n; i++)
        {
            var row = logits.AsSpan(i * k, k);
            Softmax.Rows(row, 1, k);
            probs[i] = row[target];
        }
        return new PerturbationCurve(probs, PerturbationCurve.Area(probs), target, pps, plane - n * pps);
    }

}

/// <summary>
/// Deletion curve (RISE): start from the image and replace the most relevant pixels first with the substrate
/// (zeros of the normalised tensor by default); a good map makes the probability fall fast (low AUC).
/// </summary>
public sealed class DeletionCurve(VisionTransformer network, PerturbationOptions? options = null) : PerturbationCurveBase(network, options)
{
    /// <inheritdoc/>
    protected override PerturbationSubstrate DefaultSubstrate => PerturbationSubstrate.Zeros;
    /// <inheritdoc/>
    protected override bool StartsFromImage => true;

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
    protected override PerturbationSubstrate DefaultSubstrate => PerturbationSubstrate.Blur;
    /// <inheritdoc/>
    protected override bool StartsFromImage => false;
}
