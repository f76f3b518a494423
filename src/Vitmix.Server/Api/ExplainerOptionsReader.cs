using System.Globalization;
using System.Text.Json;
using Vitmix.Explain;

namespace Vitmix.Server.Api;

/// <summary>
/// Reads the explainer options of a request (<c>{"rollout-start-layer": 3, "rollout-head-fusion": "max"}</c>) against
/// what the registry declares: the option's type, its range, and for counts a ceiling, so a request cannot ask for
/// a billion integration steps.
/// </summary>
public static class ExplainerOptionsReader
{
    /// <summary>Largest integer option accepted (steps, seeds, layers): far above any useful value, far below a denial of service.</summary>
    public const int MaxInteger = 1000;

    /// <summary>The options of <paramref name="json"/> (an object, or absent/null for the defaults) among <paramref name="known"/>.</summary>
    public static ExplainerOptions Read(JsonElement? json, IReadOnlyList<ExplainerOption> known)
    {
        var result = new ExplainerOptions();
        if (json is not { } o || o.ValueKind == JsonValueKind.Null) return result;
        if (o.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("options: expected an object of option names and values");
        foreach (var property in o.EnumerateObject())
        {
            var option = known.FirstOrDefault(k => k.Name == property.Name)
                ?? throw ApiException.BadRequest($"options: unknown option '{Images.ImageFolder.Printable(property.Name)}', known: {string.Join(", ", known.Select(k => k.Name))}");
            result.Set(option.Name, Convert(option, property.Value));
        }
        return result;
    }

    static object Convert(ExplainerOption option, JsonElement value)
    {
        var range = new NumberRange(option.Attribute.Minimum, true, option.Attribute.ExclusiveMaximum, false);
        string name = option.Name;
        if (option.Type.IsEnum)
        {
            var names = Enum.GetNames(option.Type);
            string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var match = names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase))
                ?? throw ApiException.BadRequest($"{name}: expected one of {string.Join(", ", names.Select(n => n.ToLowerInvariant()))}");
            return Enum.Parse(option.Type, match);
        }
        if (option.Type == typeof(bool))
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
                : throw ApiException.BadRequest($"{name}: expected true or false");
        if (option.Type == typeof(int))
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int i) && range.Contains(i) && i <= MaxInteger ? i
                : throw ApiException.BadRequest($"{name}: expected an integer {range.ToString().Replace("a number ", "")} and at most {MaxInteger}");
        if (option.Type == typeof(float) || option.Type == typeof(double))
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d) && double.IsFinite(d) && range.Contains(d))
                return option.Type == typeof(float) ? (float)d : d;
            throw ApiException.BadRequest($"{name}: expected {range}");
        }
        throw ApiException.BadRequest($"{name}: options of type {option.Type.Name} cannot be set here");
    }

    /// <summary>An option value as the command line writes it: enums lower-case, numbers invariant.</summary>
    public static string Format(object value) => value switch
    {
        Enum e => e.ToString().ToLowerInvariant(),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
