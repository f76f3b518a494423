using System.Globalization;

namespace Vitmix;

/// <summary>
/// The values a number accepts, and how an error message names them. One instance states one rule (e.g.
/// <see cref="Model.VitConfig.LayerNormEpsRange"/>), which both the command-line options and the config validation
/// check, so a value refused as a flag is refused in a config file too. Only finite numbers are ever contained.
/// </summary>
public sealed record NumberRange(double Min, bool MinInclusive, double Max, bool MaxInclusive)
{
    /// <summary>Any finite number.</summary>
    public static readonly NumberRange Finite = new(double.NegativeInfinity, false, double.PositiveInfinity, false);
    /// <summary>(0, ∞): a finite number greater than zero.</summary>
    public static readonly NumberRange Positive = new(0, false, double.PositiveInfinity, false);
    /// <summary>[0, ∞): a finite number, zero allowed.</summary>
    public static readonly NumberRange NonNegative = new(0, true, double.PositiveInfinity, false);
    /// <summary>[0, 1): a share of something that must leave some of it over (held-out split, discarded entries).</summary>
    public static readonly NumberRange Fraction = new(0, true, 1, false);
    /// <summary>[0, 1]: a probability.</summary>
    public static readonly NumberRange Probability = new(0, true, 1, true);

    /// <summary>True when <paramref name="v"/> is finite and inside the range.</summary>
    public bool Contains(double v) =>
        double.IsFinite(v) && (MinInclusive ? v >= Min : v > Min) && (MaxInclusive ? v <= Max : v < Max);

    /// <summary>What the range accepts, as an error message says it: "a positive number", "a number in (0, 1]".</summary>
    public override string ToString()
    {
        if (this == Finite) return "a finite number";
        if (this == Positive) return "a positive number";
        if (this == NonNegative) return "a number ≥ 0";
        string min = Min.ToString(CultureInfo.InvariantCulture), max = Max.ToString(CultureInfo.InvariantCulture);
        return $"a number in {(MinInclusive ? "[" : "(")}{min}, {max}{(MaxInclusive ? "]" : ")")}";
    }
}
