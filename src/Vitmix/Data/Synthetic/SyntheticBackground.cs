namespace Vitmix.Data.Synthetic;

/// <summary>A soft blob of colour: alpha falls off as (1 − d²/r²)², a polynomial, so no platform exp is needed.</summary>
internal sealed record Blob(double CenterX, double CenterY, double Radius, Rgb Colour, double Alpha);

/// <summary>A straight anti-aliased line segment.</summary>
internal sealed record Stroke(double X0, double Y0, double X1, double Y1, double Width, Rgb Colour, double Alpha);

/// <summary>
/// The clutter behind the objects: a linear gradient, soft blobs, thin strokes, then per-pixel noise drawn from
/// <see cref="Noise"/> (a copy of the generator, so rendering twice gives the same noise). SensorNoise is a weaker
/// noise added over the finished image, objects included, so "clean pixels" does not by itself mean "object".
/// </summary>
internal sealed record SyntheticBackground(
    Rgb From, Rgb To, double DirectionX, double DirectionY,
    IReadOnlyList<Blob> Blobs, IReadOnlyList<Stroke> Strokes,
    double NoiseAmplitude, double SensorNoise, SyntheticRandom Noise)
{
    /// <summary>The gradient's colour at an image point (before blobs, strokes and noise).</summary>
    public Rgb GradientAt(double x, double y, int size)
    {
        double t = ((x / size - 0.5) * DirectionX + (y / size - 0.5) * DirectionY) * 0.7071067811865476 + 0.5;
        return Rgb.Lerp(From, To, Math.Clamp(t, 0, 1));
    }
}
