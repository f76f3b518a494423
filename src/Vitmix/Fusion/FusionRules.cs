using Vitmix.Fusion.Rules;

namespace Vitmix.Fusion;

/// <summary>The fusion rules by name, with the aliases used by the ViTmiX code and the golden files.</summary>
public static class FusionRules
{
    /// <summary>Name of the pseudo-fusion of a single map (the map itself).</summary>
    public const string Single = "single";

    static readonly IFusionRule[] all =
        [new Product(), new GeometricMean(), new PaperSqrt(), new WeightedGeometricMean(),
         new ArithmeticMean(), new HarmonicMean(), new Minimum(), new RankMean()];

    static readonly Dictionary<string, string> aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["multiply"] = "product", ["prod"] = "product", ["geomean"] = "gmean", ["amean"] = "mean",
        ["average"] = "mean", ["and"] = "min",
    };

    /// <summary>Every rule, in the order product, gmean, sqrt, wgmean, mean, hmean, min, rankmean.</summary>
    public static IReadOnlyList<IFusionRule> All => all;

    /// <summary>Canonical name of a rule name or alias (multiply → product, geomean → gmean), or null if unknown.</summary>
    public static string? Canonical(string name)
    {
        string n = name.Trim();
        if (aliases.TryGetValue(n, out var a)) return a;
        if (string.Equals(n, Single, StringComparison.OrdinalIgnoreCase)) return Single;
        return all.FirstOrDefault(r => string.Equals(r.Name, n, StringComparison.OrdinalIgnoreCase))?.Name;
    }

    /// <summary>The rule called <paramref name="name"/> (or an alias); throws naming the known rules.</summary>
    public static IFusionRule Get(string name)
    {
        var c = Canonical(name);
        return all.FirstOrDefault(r => r.Name == c)
            ?? throw new ArgumentException($"unknown fusion '{name}', expected one of {string.Join(", ", all.Select(r => r.Name))} (aliases: {string.Join(", ", aliases.Keys)})");
    }
}
