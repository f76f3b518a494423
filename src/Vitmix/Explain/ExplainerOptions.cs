using System.Globalization;

namespace Vitmix.Explain;

/// <summary>
/// Values for explainer options by option name (<c>rollout-start-layer</c> = 3); options left out keep each
/// explainer's default. <see cref="ExplainerRegistry.Options"/> lists every option with its type.
/// </summary>
public sealed class ExplainerOptions
{
    readonly Dictionary<string, object> values = new(StringComparer.Ordinal);

    /// <summary>No values: every explainer with its defaults.</summary>
    public static ExplainerOptions Defaults => new();

    /// <summary>Sets option <paramref name="name"/>; the value must be of the option's type (int, float, bool or an enum).</summary>
    public ExplainerOptions Set(string name, object value)
    {
        values[name] = value;
        return this;
    }

    /// <summary>The value set for <paramref name="name"/>, if any.</summary>
    public bool TryGet(string name, out object value) => values.TryGetValue(name, out value!);

    /// <summary>The options set, by name.</summary>
    public IReadOnlyDictionary<string, object> Values => values;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(", ", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={Convert.ToString(v.Value, CultureInfo.InvariantCulture)}"));
}
