using System.Globalization;
using System.Text.RegularExpressions;

namespace Vitmix.Fusion;

/// <summary>
/// What one explanation map is — the method or methods it comes from, the fusion rule with its weights (a
/// <see cref="FusionSpec"/>) and the mask threshold — and the only place its names are made, so that results.csv,
/// summary.csv, curves.csv, the tiles, the report and explain's files always agree.
/// <list type="table">
/// <item><term><see cref="DisplayName"/></term><description>the "map" of summary.csv, curves.csv, the table and the
///   report: <c>rollout</c>, <c>rollout+gradcam.gmean</c>, <c>rollout+gradcam.wgmean(2,1)</c>; a threshold other than
///   Otsu (the default, left out so default names stay short) in brackets: <c>rollout[top:20]</c>.</description></item>
/// <item><term><see cref="FileStem"/></term><description>file names: <c>rollout</c>, <c>rollout+gradcam.gmean</c>,
///   <c>rollout+gradcam.wgmean-2-1</c>, <c>rollout_top-20</c> (no characters a file system or a shell treats
///   specially).</description></item>
/// <item><term>CSV fields</term><description><see cref="MethodField"/> <c>rollout+gradcam</c>, <see cref="FusionField"/>
///   <c>single</c>, <c>gmean</c> or, with weights, <c>wgmean(2,1)</c>, and <see cref="Threshold"/>.</description></item>
/// </list>
/// Two maps are equal when methods (in order), rule, weights and threshold are.
/// </summary>
public sealed partial class MapId : IEquatable<MapId>
{
    /// <summary>The threshold of maps whose names do not mention one.</summary>
    public const string DefaultThreshold = "otsu";

    /// <summary>The methods, fusion rule and weights.</summary>
    public FusionSpec Spec { get; }

    /// <summary>The mask threshold's name ("otsu", "mean", "top:20", "fixed:0.5").</summary>
    public string Threshold { get; }

    /// <param name="spec">The methods, fusion rule and weights.</param>
    /// <param name="threshold">The mask threshold's name.</param>
    public MapId(FusionSpec spec, string threshold = DefaultThreshold)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(threshold)) throw new ArgumentException("a map's threshold name is empty");
        Spec = spec;
        Threshold = threshold.Trim();
    }

    /// <summary>True for a single method's map (fusion "single").</summary>
    public bool IsSingle => Spec.Fusion == FusionRules.Single;

    /// <summary>The "method" field of results.csv and summary.csv: the methods joined by '+', "rollout+gradcam".</summary>
    public string MethodField => JoinMethods(Spec.Methods);

    /// <summary>The "fusion" field: "single", the rule ("gmean"), or the rule with its weights ("wgmean(2,1)").</summary>
    public string FusionField => Spec.Weights is null ? Spec.Fusion : $"{Spec.Fusion}({string.Join(",", Spec.Weights.Select(Number))})";

    /// <summary>The map's name in tables, CSV files and the report (see the class summary).</summary>
    public string DisplayName =>
        MethodField + (IsSingle ? "" : "." + FusionField) + (Threshold == DefaultThreshold ? "" : $"[{Threshold}]");

    /// <summary>The stem of the map's files (see the class summary).</summary>
    public string FileStem =>
        MethodField
        + (IsSingle ? "" : "." + Spec.Fusion + (Spec.Weights is null ? "" : string.Concat(Spec.Weights.Select(w => "-" + Number(w)))))
        + (Threshold == DefaultThreshold ? "" : "_" + Threshold.Replace(':', '-'));

    /// <summary>Methods as one name, "rollout+gradcam": how a map, a combination or an intersection of masks names its methods.</summary>
    public static string JoinMethods(IEnumerable<string> methods) => string.Join("+", methods);

    /// <summary>
    /// The map of a results.csv row from its method, fusion and threshold fields. Rows written before the weights were
    /// recorded have a bare "wgmean": they read as the rule without weights.
    /// </summary>
    /// <exception cref="InvalidDataException">The fields do not describe a map; the message names <paramref name="source"/>.</exception>
    public static MapId FromCsv(string method, string fusion, string threshold, string source)
    {
        try
        {
            var methods = method.Split('+');
            var call = FusionFieldRegex().Match(fusion.Trim());
            if (!call.Success) throw new ArgumentException($"fusion '{fusion}' is not a rule or rule(weights)");
            return new MapId(new FusionSpec(methods, call.Groups["rule"].Value, Weights(call.Groups["weights"], fusion)), threshold);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: method '{method}', fusion '{fusion}', threshold '{threshold}' do not describe a map: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads a <see cref="DisplayName"/> back, and the names older run folders wrote ("lrp.single",
    /// "lrp+rollout.wgmean-2-1"). A name without a bracketed threshold has <paramref name="threshold"/>: new names
    /// leave out only Otsu, and old names never had one, so the run's own threshold is right for both.
    /// </summary>
    public static bool TryParse(string name, string threshold, out MapId id)
    {
        id = null!;
        var m = NameRegex().Match(name.Trim());
        if (!m.Success) return false;
        string t = m.Groups["threshold"].Success ? m.Groups["threshold"].Value : threshold;
        string methods = m.Groups["methods"].Value, rule = m.Groups["rule"].Success ? m.Groups["rule"].Value : FusionRules.Single;
        try
        {
            IReadOnlyList<float>? weights = m.Groups["weights"].Success ? Weights(m.Groups["weights"], name)
                : m.Groups["legacy"].Success ? Weights(m.Groups["legacy"], name, '-') : null;
            if (!methods.Contains('+') && rule != FusionRules.Single) return false;
            id = new MapId(new FusionSpec(methods.Split('+'), rule, weights), t);
            return true;
        }
        catch (ArgumentException) { return false; }
    }

    /// <summary><paramref name="name"/> as the current <see cref="DisplayName"/> when it can be read, else unchanged.</summary>
    public static string Normalize(string name, string threshold) => TryParse(name, threshold, out var id) ? id.DisplayName : name;

    static IReadOnlyList<float>? Weights(Group group, string text, char separator = ',')
    {
        if (!group.Success) return null;
        var parts = group.Value.Split(separator, StringSplitOptions.RemoveEmptyEntries);
        var weights = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]) || !(weights[i] > 0))
                throw new ArgumentException($"'{text}': weight '{parts[i]}' is not a positive number");
        return weights;
    }

    // Shortest round-trip form, so two weights that differ give two names.
    static string Number(float w) => w.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public bool Equals(MapId? other) => other is not null && Threshold == other.Threshold && Spec.Equals(other.Spec);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MapId);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Spec, Threshold);

    /// <summary>The <see cref="DisplayName"/>.</summary>
    public override string ToString() => DisplayName;

    [GeneratedRegex(@"^(?<rule>[A-Za-z]+)(\((?<weights>[^()]*)\))?$")]
    private static partial Regex FusionFieldRegex();

    // methods[.rule[(w,...)|-w-w]][[threshold]]; a rule only after a '+' combination (a single method's name may hold dots).
    [GeneratedRegex(@"^(?<methods>[^\[\]()]+?)(\.(?<rule>[a-z]+)(\((?<weights>[^()]*)\)|-(?<legacy>[0-9.eE+]+(-[0-9.eE+]+)*))?)?(\[(?<threshold>[^\[\]]+)\])?$")]
    private static partial Regex NameRegex();
}
