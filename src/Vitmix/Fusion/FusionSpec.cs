using Vitmix.Explain;

namespace Vitmix.Fusion;

/// <summary>
/// One combination to compute: the method maps in the user's order, the fusion rule ("single" for one map) and
/// optional per-method weights (wgmean, mean, hmean, rankmean). Its names, with the threshold, come from <see cref="MapId"/>.
/// </summary>
public sealed record FusionSpec
{
    /// <summary>The methods' map names, in the order the rule combines them.</summary>
    public IReadOnlyList<string> Methods { get; }
    /// <summary>Canonical rule name (product, gmean, sqrt, wgmean, mean, hmean, min, rankmean) or "single".</summary>
    public string Fusion { get; }
    /// <summary>One positive weight per method, or null (equal weights; always null for a single map).</summary>
    public IReadOnlyList<float>? Weights { get; }

    /// <summary>
    /// A combination of <paramref name="methods"/> (distinct, in order) by <paramref name="fusion"/> (a rule name or
    /// alias; a single method is always "single"), with optional <paramref name="weights"/>, one per method. Throws an
    /// <see cref="ArgumentException"/> for no method, an unknown rule, several methods with "single", a repeated
    /// method or a weight count that differs from the method count.
    /// </summary>
    public FusionSpec(IReadOnlyList<string> methods, string fusion, IReadOnlyList<float>? weights = null)
    {
        if (methods.Count == 0) throw new ArgumentException("a fusion spec needs at least one method");
        string f = FusionRules.Canonical(fusion) ?? throw new ArgumentException($"unknown fusion '{fusion}'");
        if (methods.Count == 1 && f != FusionRules.Single) f = FusionRules.Single;
        if (methods.Count > 1 && f == FusionRules.Single)
            throw new ArgumentException($"'{MapId.JoinMethods(methods)}' combines {methods.Count} maps, so it needs a fusion rule, not 'single'");
        if (weights is not null && weights.Count != methods.Count)
            throw new ArgumentException($"'{MapId.JoinMethods(methods)}': {weights.Count} weights for {methods.Count} methods");
        if (methods.Distinct(StringComparer.Ordinal).Count() != methods.Count)
            throw new ArgumentException($"'{MapId.JoinMethods(methods)}' names a method twice");
        Methods = [.. methods];
        Fusion = f;
        // A single map has nothing to weigh: its weight would only make two names for one map.
        Weights = weights is null || f == FusionRules.Single ? null : [.. weights];
    }

    /// <summary>The map's name with the default threshold (<see cref="MapId.DisplayName"/>), for messages.</summary>
    public override string ToString() => new MapId(this).DisplayName;

    /// <summary>Fuses the named maps of <paramref name="maps"/> (keys as in <see cref="ImageExplanation.Maps"/>).</summary>
    public Heatmap Apply(IReadOnlyDictionary<string, Heatmap> maps)
    {
        var inputs = new List<Heatmap>(Methods.Count);
        foreach (var m in Methods)
        {
            if (!maps.TryGetValue(m, out var map))
                throw new ArgumentException($"fusion '{this}' needs map '{m}', available: {string.Join(", ", maps.Keys)}");
            inputs.Add(map);
        }
        if (Fusion == FusionRules.Single) return inputs[0];
        return FusionRules.Get(Fusion).Fuse(inputs, Weights);
    }

    /// <summary>Equal when the methods (in order), the rule and the weights are.</summary>
    public bool Equals(FusionSpec? other) =>
        other is not null && Fusion == other.Fusion && Methods.SequenceEqual(other.Methods, StringComparer.Ordinal)
        && (Weights is null ? other.Weights is null : other.Weights is not null && Weights.SequenceEqual(other.Weights));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Fusion);
        foreach (var m in Methods) h.Add(m);
        if (Weights is not null) foreach (var w in Weights) h.Add(w);
        return h.ToHashCode();
    }
}
