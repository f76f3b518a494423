using System.Numerics.Tensors;

namespace Vitmix.Engine;

/// <summary>
/// Min-max normalisation of a map to [0, 1], the one implementation of both forms the references use. A constant map
/// gives zeros, never NaN.
/// </summary>
public static class MinMaxNormalization
{
    /// <summary>
    /// The ViTmiX reference's form: (u − min) / d with d = float32(float64(max − min) + 1e-8), float32 subtraction and
    /// division.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> u, Span<float> dst)
    {
        if (dst.Length < u.Length) throw new ArgumentException($"destination of {dst.Length} values is shorter than the {u.Length} inputs");
        if (u.IsEmpty) return;
        var (min, max) = Range(u);
        float d = (float)((double)(max - min) + 1e-8);
        for (int i = 0; i < u.Length; i++) dst[i] = (u[i] - min) / d;
    }

    /// <summary><see cref="Apply(ReadOnlySpan{float}, Span{float})"/> into a new array.</summary>
    public static float[] Apply(ReadOnlySpan<float> u)
    {
        var r = new float[u.Length];
        Apply(u, r);
        return r;
    }

    /// <summary>
    /// The exact form of Chefer et al.'s Grad-CAM and of the fusion rules: (u − min) / (max − min), in place; a map
    /// with max = min becomes zeros (the reference would divide by zero).
    /// </summary>
    public static void ApplyExact(Span<float> u)
    {
        if (u.IsEmpty) return;
        var (min, max) = Range(u);
        float d = max - min;
        if (!(d > 0)) { u.Clear(); return; }
        for (int i = 0; i < u.Length; i++) u[i] = (u[i] - min) / d;
    }

    static (float Min, float Max) Range(ReadOnlySpan<float> u) => (TensorPrimitives.Min(u), TensorPrimitives.Max(u));
}
