namespace Vitmix.Data.Synthetic;

/// <summary>How an object's interior is painted.</summary>
internal enum TextureKind { Solid, Stripes, Dots, Gradient }

/// <summary>
/// An object's fill, defined in the object's own frame so it turns with the object. Primary is the solid colour, the
/// first stripe, the dots' ground and the gradient's start; Secondary the other one.
/// </summary>
internal sealed class ObjectTexture
{
    readonly double _dirX, _dirY;

    public ObjectTexture(TextureKind kind, Rgb primary, Rgb secondary, double period, double angle, double phase)
    {
        Kind = kind;
        Primary = primary;
        Secondary = secondary;
        Period = period;
        Phase = phase;
        (_dirY, _dirX) = DeterministicMath.SinCos(angle);
    }

    public TextureKind Kind { get; }
    public Rgb Primary { get; }
    public Rgb Secondary { get; }
    /// <summary>Stripe period or dot spacing, in pixels.</summary>
    public double Period { get; }
    /// <summary>Offset of the pattern, in periods.</summary>
    public double Phase { get; }

    /// <summary>Colour at a point of the object's frame (pixels from the centre); radius scales the gradient.</summary>
    public Rgb ColourAt(double lx, double ly, double radius)
    {
        switch (Kind)
        {
            case TextureKind.Stripes:
            {
                double t = (lx * _dirX + ly * _dirY) / Period + Phase;
                return t - Math.Floor(t) < 0.5 ? Primary : Secondary;
            }
            case TextureKind.Dots:
            {
                double gx = lx / Period + Phase, gy = ly / Period + Phase;
                double fx = gx - Math.Floor(gx) - 0.5, fy = gy - Math.Floor(gy) - 0.5;
                // Dot radius 0.3 of the spacing: dots cover ~28% of the surface, the ground stays dominant.
                return fx * fx + fy * fy <= 0.09 ? Secondary : Primary;
            }
            case TextureKind.Gradient:
            {
                double t = Math.Clamp((lx * _dirX + ly * _dirY) / (2 * radius) + 0.5, 0, 1);
                return Rgb.Lerp(Primary, Secondary, t);
            }
            default:
                return Primary;
        }
    }
}
