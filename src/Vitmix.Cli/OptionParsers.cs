using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Vitmix.Cli;

/// <summary>Options whose values are checked at parse time, with messages that say what was expected.</summary>
public static class OptionParsers
{
    static string Token(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[0].Value : "";

    /// <summary>An optional positive integer option (null when absent).</summary>
    public static Option<int?> PositiveInt(string name, string description, string helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => ParsePositiveInt(r, name),
    };

    /// <summary>A positive integer option with a default.</summary>
    public static Option<int> PositiveInt(string name, string description, int defaultValue, string helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParsePositiveInt(r, name) ?? defaultValue,
    };

    static int? ParsePositiveInt(ArgumentResult r, string name)
    {
        string text = Token(r);
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0) return v;
        r.AddError($"{name}: expected a positive integer, got '{text}'");
        return null;
    }

    /// <summary>A non-negative integer option with a default (0 usually means "off").</summary>
    public static Option<int> NonNegativeInt(string name, string description, int defaultValue, string helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string text = Token(r);
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0) return v;
            r.AddError($"{name}: expected an integer ≥ 0, got '{text}'");
            return defaultValue;
        },
    };

    /// <summary>A number option with a default that must lie in <paramref name="range"/>.</summary>
    public static Option<double> Number(string name, string description, double defaultValue, NumberRange range, string helpName = "X") => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string text = Token(r);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && range.Contains(v)) return v;
            r.AddError($"{name}: expected {range}, got '{text}'");
            return defaultValue;
        },
    };

    /// <summary>An optional number that must be finite and greater than zero.</summary>
    public static Option<double?> PositiveNumber(string name, string description, string helpName = "X") =>
        OptionalNumber(name, description, NumberRange.Positive, helpName);

    /// <summary>An optional number that must lie in <paramref name="range"/> (null when absent).</summary>
    public static Option<double?> OptionalNumber(string name, string description, NumberRange range, string helpName = "X") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r =>
        {
            string text = Token(r);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && range.Contains(v)) return v;
            r.AddError($"{name}: expected {range}, got '{text}'");
            return null;
        },
    };

    /// <summary>Three comma-separated numbers (r,g,b), or one number for all channels, each in <paramref name="range"/>.</summary>
    public static Option<float[]?> Rgb(string name, string description, NumberRange range) => new(name)
    {
        Description = description,
        HelpName = "R,G,B",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r =>
        {
            string text = Token(r);
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            var values = new float[parts.Length];
            bool ok = parts.Length is 1 or 3;
            for (int i = 0; ok && i < parts.Length; i++)
                ok = float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) && range.Contains(values[i]);
            if (!ok)
            {
                string each = range == NumberRange.Finite ? "" : range == NumberRange.Positive ? "positive " : $"({range}) ";
                r.AddError($"{name}: expected three comma-separated {each}numbers like 0.5,0.5,0.5, got '{text}'");
                return null;
            }
            return values.Length == 3 ? values : [values[0], values[0], values[0]];
        },
    };

    /// <summary>
    /// An optional size in bytes: a whole number of bytes, or a number with a K, M, G or T suffix (powers of 1024;
    /// "KB", "KiB" and lower case read the same), e.g. 512M, 1.5G, 8G.
    /// </summary>
    public static Option<long?> ByteSize(string name, string description, string helpName = "SIZE") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r =>
        {
            string text = Token(r);
            if (ParseByteSize(text) is long v) return v;
            r.AddError($"{name}: expected a positive size in bytes or with a K, M, G or T suffix like 512M or 8G, got '{text}'");
            return null;
        },
    };

    /// <summary>The bytes <paramref name="text"/> names (see <see cref="ByteSize"/>), or null when it is not a positive size.</summary>
    internal static long? ParseByteSize(string text)
    {
        string t = text.Trim();
        int shift = 0;
        foreach (string unit in new[] { "KiB", "KB", "K", "MiB", "MB", "M", "GiB", "GB", "G", "TiB", "TB", "T" })
        {
            if (!t.EndsWith(unit, StringComparison.OrdinalIgnoreCase)) continue;
            shift = 10 * ("KMGT".IndexOf(char.ToUpperInvariant(unit[0])) + 1);
            t = t[..^unit.Length].TrimEnd();
            break;
        }
        if (shift == 0)
        {
            if (t.EndsWith('B') || t.EndsWith('b')) t = t[..^1].TrimEnd();
            return long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) && bytes > 0 ? bytes : null;
        }
        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v)) return null;
        double total = Math.Floor(v * Math.Pow(2, shift));
        // 2^63 itself does not fit: the comparison is against the first double past long.MaxValue.
        return total >= 1 && total < 9.2233720368547758e18 ? (long)total : null;
    }

    /// <summary>A string option restricted to <paramref name="choices"/> (case-insensitive), returned lower-case.</summary>
    public static Option<string?> Choice(string name, string description, params string[] choices) => new(name)
    {
        Description = description,
        HelpName = string.Join("|", choices),
        CustomParser = r =>
        {
            string text = Token(r).Trim().ToLowerInvariant();
            if (choices.Contains(text)) return text;
            r.AddError($"{name}: expected one of {string.Join(", ", choices)}, got '{Token(r)}'");
            return null;
        },
    };
}
