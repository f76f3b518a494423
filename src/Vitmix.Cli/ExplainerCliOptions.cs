using System.CommandLine;
using System.Globalization;
using Vitmix.Explain;

namespace Vitmix.Cli;

/// <summary>
/// The explainer options of <see cref="ExplainerRegistry"/> as command-line options (<c>--rollout-start-layer</c>,
/// <c>--lrp-start-layer</c>, …), generated from what each explainer class declares, so a new method's options reach
/// every command without editing it.
/// </summary>
public sealed class ExplainerCliOptions
{
    readonly List<(ExplainerOption Option, Option Cli, Func<ParseResult, object?> Value)> options = [];

    /// <summary>One command-line option per registered explainer option.</summary>
    public ExplainerCliOptions()
    {
        foreach (var o in ExplainerRegistry.Options)
        {
            var (cli, value) = Create(o);
            options.Add((o, cli, value));
        }
    }

    /// <summary>The methods and aliases for a <c>--methods</c> help text.</summary>
    public static string MethodsHelp =>
        string.Join(", ", ExplainerRegistry.All.Select(d => d.Info.Wraps ? $"{d.Name}-METHOD" : d.Info.Aliases.Length == 0 ? d.Name : $"{d.Name} ({string.Join(", ", d.Info.Aliases)})"))
        + $"; all = {string.Join(",", ExplainerRegistry.AllMethods)}";

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var (_, cli, _) in options) command.Options.Add(cli);
    }

    /// <summary>The values given on the command line (absent options keep the explainers' defaults).</summary>
    public ExplainerOptions Bind(ParseResult parse)
    {
        var result = new ExplainerOptions();
        foreach (var (o, cli, value) in options)
        {
            var r = parse.GetResult(cli);
            if (r == null || r.Implicit) continue;
            if (value(parse) is { } v) result.Set(o.Name, v);
        }
        return result;
    }

    static (Option, Func<ParseResult, object?>) Create(ExplainerOption o)
    {
        string name = "--" + o.Name;
        var a = o.Attribute;
        string description = $"{a.Description} (for {string.Join(", ", o.Methods)}; default {Format(o.Default)})";
        if (o.Type.IsEnum)
        {
            var names = Enum.GetNames(o.Type).Select(n => n.ToLowerInvariant()).ToArray();
            var choice = OptionParsers.Choice(name, description, names);
            return (choice, p => p.GetValue(choice));
        }
        var range = new NumberRange(a.Minimum, true, a.ExclusiveMaximum, false);
        if (o.Type == typeof(int))
            return Parsed<int>(name, description, a.ValueName, text =>
                int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && range.Contains(v) ? v : (int?)null,
                $"an integer {RangeText(range)}");
        if (o.Type == typeof(float) || o.Type == typeof(double))
            return Parsed<double>(name, description, a.ValueName, text =>
                double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && range.Contains(v) ? v : (double?)null,
                range.ToString());
        if (o.Type == typeof(bool))
        {
            var flag = new Option<bool>(name) { Description = description };
            return (flag, p => p.GetValue(flag));
        }
        throw new InvalidOperationException($"explainer option '{o.Name}' has type {o.Type.Name}, which the command line cannot take");
    }

    /// <summary>An option whose value <paramref name="parse"/> accepts (non-null) or refuses, naming <paramref name="expected"/>.</summary>
    static (Option, Func<ParseResult, object?>) Parsed<T>(string name, string description, string valueName, Func<string, T?> parse, string expected)
        where T : struct
    {
        var option = new Option<T>(name)
        {
            Description = description, HelpName = valueName,
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (parse(text) is T v) return v;
                r.AddError($"{name}: expected {expected}, got '{text}'");
                return default;
            },
        };
        return (option, p => p.GetValue(option));
    }

    static string RangeText(NumberRange range) =>
        double.IsPositiveInfinity(range.Max) ? $"≥ {range.Min.ToString(CultureInfo.InvariantCulture)}" : range.ToString().Replace("a number ", "");

    static string Format(object? value) => value switch
    {
        null => "none",
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
