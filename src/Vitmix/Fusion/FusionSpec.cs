using System.Globalization;
using Vitmix.Explain;

namespace Vitmix.Fusion;

/// <summary>
/// One combination to compute: the method maps in the user's order, the fusion rule ("single" for one map) and
/// optional per-method weights (wgmean, mean, hmean, rankmean).
/// </summary>
public sealed record FusionSpec
{
    public IReadOnlyList<string> Methods { get; }
    /// <summary>Canonical rule name (product, gmean, sqrt, wgmean, mean, hmean, min, rankmean) or "single".</summary>
    public string Fusion { get; }
    public IReadOnlyList<float>? Weights { get; }

    public FusionSpec(IReadOnlyList<string> methods, string fusion, IReadOnlyList<float>? weights = null)
    {
        if (methods.Count == 0) throw new ArgumentException("a fusion spec needs at least one method");
        string f = FusionRules.Canonical(fusion) ?? throw new ArgumentException($"unknown fusion '{fusion}'");
        if (methods.Count == 1 && f != FusionRules.Single) f = FusionRules.Single;
        if (methods.Count > 1 && f == FusionRules.Single)
            throw new ArgumentException($"'{string.Join("+", methods)}' combines {methods.Count} maps, so it needs a fusion rule, not 'single'");
        if (weights is not null && weights.Count != methods.Count)
            throw new ArgumentException($"'{string.Join("+", methods)}': {weights.Count} weights for {methods.Count} methods");
        if (methods.Distinct(StringComparer.Ordinal).Count() != methods.Count)
            throw new ArgumentException($"'{string.Join("+", methods)}' names a method twice");
        Methods = [.. methods];
        Fusion = f;
        Weights = weights is null ? null : [.. weights];
    }

    /// <summary>
    /// Output name: "lrp+rollout.gmean", "lrp.single"; weighted specs append the weights, "lrp+rollout.wgmean-2-1"
    /// (file-name safe on every OS).
    /// </summary>
    public string Name
    {
        get
        {
            string n = string.Join("+", Methods) + "." + Fusion;
            if (Weights is not null) n += "-" + string.Join("-", Weights.Select(w => w.ToString("G6", CultureInfo.InvariantCulture)));
            return n;
        }
    }

    public override string ToString() => Name;

    /// <summary>Fuses the named maps of <paramref name="maps"/> (keys as in <see cref="ImageExplanation.Maps"/>).</summary>
    public Heatmap Apply(IReadOnlyDictionary<string, Heatmap> maps)
    {
        var inputs = new List<Heatmap>(Methods.Count);
        foreach (var m in Methods)
        {
            if (!maps.TryGetValue(m, out var map))
                throw new ArgumentException($"fusion '{Name}' needs map '{m}', available: {string.Join(", ", maps.Keys)}");
            inputs.Add(map);
        }
        if (Fusion == FusionRules.Single) return inputs[0];
        return FusionRules.Get(Fusion).Fuse(inputs, Weights);
    }

    public bool Equals(FusionSpec? other) => other is not null && other.Name == Name;
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
}
