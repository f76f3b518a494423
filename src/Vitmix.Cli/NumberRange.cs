using System.Globalization;

namespace Vitmix.Cli;

/// <summary>The values a numeric option accepts, and how an error message names them.</summary>
public sealed record NumberRange(double Min, bool MinInclusive, double Max, bool MaxInclusive)
{
    public static readonly NumberRange Positive = new(0, false, double.PositiveInfinity, false);
    public static readonly NumberRange NonNegative = new(0, true, double.PositiveInfinity, false);
    /// <summary>[0, 1): a share of something that must leave some of it over (held-out split, discarded entries).</summary>
    public static readonly NumberRange Fraction = new(0, true, 1, false);
    /// <summary>[0, 1]: a probability.</summary>
    public static readonly NumberRange Probability = new(0, true, 1, true);

    public bool Contains(double v) =>
        double.IsFinite(v) && (MinInclusive ? v >= Min : v > Min) && (MaxInclusive ? v <= Max : v < Max);

    public override string ToString()
    {
        if (this == Positive) return "a positive number";
        if (this == NonNegative) return "a number ≥ 0";
        string min = Min.ToString(CultureInfo.InvariantCulture), max = Max.ToString(CultureInfo.InvariantCulture);
        return $"a number in {(MinInclusive ? "[" : "(")}{min}, {max}{(MaxInclusive ? "]" : ")")}";
    }
}
