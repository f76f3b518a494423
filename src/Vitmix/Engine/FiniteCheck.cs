using System.Globalization;
using System.Numerics.Tensors;

namespace Vitmix.Engine;

/// <summary>
/// Finds NaN and infinities in float data, so that a bad weight, input or output is reported instead of flowing on
/// silently (one NaN spreads through every later product). The scan is vectorised
/// (<see cref="TensorPrimitives.IsFiniteAll{T}(ReadOnlySpan{T})"/>, memory-bound); the offending element is located
/// only when there is one.
/// </summary>
public static class FiniteCheck
{
    /// <summary>Index of the first NaN or ±∞ in <paramref name="values"/>, or -1 when every value is finite.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        if (TensorPrimitives.IsFiniteAll(values)) return -1;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>"NaN", "+Inf" or "-Inf" for a non-finite value (its plain text otherwise).</summary>
    public static string Describe(float value) =>
        float.IsNaN(value) ? "NaN" : float.IsPositiveInfinity(value) ? "+Inf" : float.IsNegativeInfinity(value) ? "-Inf"
            : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> "<paramref name="subject"/>: <paramref name="what"/> are not finite
    /// (NaN at <paramref name="element"/> 3)" when <paramref name="values"/> hold a NaN or an infinity; e.g.
    /// <c>Require(logits, "img.png", "the model's logits", "class")</c> or
    /// <c>Require(map, "img.png", "the rollout map", "position")</c>.
    /// </summary>
    public static void Require(ReadOnlySpan<float> values, string subject, string what, string element = "element")
    {
        int i = IndexOfNonFinite(values);
        if (i >= 0) throw new InvalidDataException($"{subject}: {what} are not finite ({Describe(values[i])} at {element} {i})");
    }
}
