namespace Vitmix.Fusion;

/// <summary>
/// Min-max normalisation to [0, 1] as the ViTmiX reference does it: (u − min) / d with
/// d = float32(float64(max − min) + 1e-8), float32 subtraction and division. A constant map gives zeros (never NaN).
/// </summary>
public static class MinMaxNormalization
{
    public static void Apply(ReadOnlySpan<float> u, Span<float> dst)
    {
        if (dst.Length < u.Length) throw new ArgumentException($"destination of {dst.Length} values is shorter than the {u.Length} inputs");
        if (u.IsEmpty) return;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in u)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (float)((double)(max - min) + 1e-8);
        for (int i = 0; i < u.Length; i++) dst[i] = (u[i] - min) / d;
    }

    public static float[] Apply(ReadOnlySpan<float> u)
    {
        var r = new float[u.Length];
        Apply(u, r);
        return r;
    }
}
