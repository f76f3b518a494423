using Vitmix.Engine;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Max-sensitivity (Yeh et al., "On the (in)fidelity and sensitivity of explanations", NeurIPS 2019): the largest
/// relative change of a map when the input moves by at most r, max_k ‖M(x̃_k) − M(x)‖₂ / ‖M(x)‖₂ over n perturbed
/// copies x̃_k = x + u_k with u_k uniform in [−r, r] per element (‖x̃ − x‖∞ ≤ r). Lower = a more robust explanation.
/// <para>
/// r is a fraction of the input range: the image's [0, 1] pixel scale, so in the normalised tensor channel c moves by
/// at most r / std_c. Perturbed values are not clipped to the valid range (Yeh et al. bound only the distance). The
/// norm is the Frobenius norm of the grid map, each map as the method (or fusion) returns it: methods.md's relative
/// form, where Quantus by default first divides each map by its largest magnitude. The noise is
/// <see cref="SplitMixUniform"/>, one stream per copy and channel, so a run is reproducible and a reference can draw
/// the same noise. A map of zeros has no relative change: NaN.
/// </para>
/// </summary>
public static class MaxSensitivity
{
    /// <summary>Yeh et al.'s number of perturbations.</summary>
    public const int DefaultSamples = 10;

    /// <summary>methods.md's radius, as a fraction of the input range.</summary>
    public const double DefaultRadius = 0.02;

    /// <summary>
    /// <paramref name="count"/> copies of the normalised image <paramref name="input"/> (1, C, H, W): channel c of copy k
    /// gets noise within ± radius / std[c] from stream <paramref name="firstStream"/> + k·C + c of <paramref name="seed"/>
    /// (so an image given firstStream = its index · count · C draws noise no other image shares).
    /// </summary>
    public static Tensor PerturbedCopies(Tensor input, int count, double radius, IReadOnlyList<float> std, long seed, long firstStream)
    {
        if (input.Shape.Length != 4 || input.Shape[0] != 1) throw new ArgumentException("expected one normalised image (1, C, H, W)");
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "at least one perturbed copy");
        if (!(radius >= 0) || double.IsInfinity(radius)) throw new ArgumentOutOfRangeException(nameof(radius), radius, "the radius is a finite fraction ≥ 0");
        int channels = input.Shape[1], plane = input.Shape[2] * input.Shape[3], size = channels * plane;
        if (std.Count != channels) throw new ArgumentException($"{std.Count} standard deviations for {channels} channels");
        var copies = new Tensor(count, channels, input.Shape[2], input.Shape[3]);
        for (int k = 0; k < count; k++)
        {
            var copy = copies.Data.AsSpan(k * size, size);
            for (int c = 0; c < channels; c++)
            {
                double bound = radius / std[c];
                SplitMixUniform.Fill(seed, firstStream + k * channels + c, -bound, bound, copy.Slice(c * plane, plane));
            }
            var original = input.Data.AsSpan(0, size);
            for (int i = 0; i < size; i++) copy[i] += original[i];
        }
        return copies;
    }

    /// <summary>‖<paramref name="perturbed"/> − <paramref name="original"/>‖₂ / ‖<paramref name="original"/>‖₂; NaN when the original is all zero.</summary>
    public static double RelativeChange(ReadOnlySpan<float> original, ReadOnlySpan<float> perturbed)
    {
        if (original.Length != perturbed.Length) throw new ArgumentException($"maps of {original.Length} and {perturbed.Length} values");
        double difference = 0, norm = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double d = (double)perturbed[i] - original[i];
            difference += d * d;
            norm += (double)original[i] * original[i];
        }
        return norm > 0 ? Math.Sqrt(difference / norm) : double.NaN;
    }
}
