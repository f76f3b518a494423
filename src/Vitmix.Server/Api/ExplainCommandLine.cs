using Vitmix.Fusion;
using Vitmix.Server.Explaining;

namespace Vitmix.Server.Api;

/// <summary>
/// The <c>vitmix explain</c> command line that writes the view's map: the same model, methods, class, explainer
/// options, combination, fusion rule, threshold and colormap, with --raw so the .npy maps and masks are written too.
/// </summary>
public static class ExplainCommandLine
{
    /// <summary>The arguments after "vitmix", unquoted.</summary>
    public static IReadOnlyList<string> Arguments(ExplainedView view, FusionSpec spec, string threshold, string colormap, string? modelArgument, string methods)
    {
        var args = new List<string> { "explain", view.Image.CommandInput };
        if (modelArgument != null) args.AddRange(["--model", modelArgument]);
        args.AddRange(["--methods", methods, "--target", view.Target.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        foreach (var (name, value) in view.Options.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
            args.AddRange(["--" + name, ExplainerOptionsReader.Format(value)]);
        if (spec.Fusion != FusionRules.Single)
        {
            string combo = spec.Weights is null ? MapId.JoinMethods(spec.Methods)
                : $"{spec.Fusion}({string.Join(",", spec.Methods.Zip(spec.Weights, (m, w) => $"{m}:{w.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))})";
            args.AddRange(["--combos", combo, "--fusion", spec.Fusion]);
        }
        args.AddRange(["--threshold", threshold, "--colormap", colormap, "--raw", "--out", "vitmix-explain"]);
        return args;
    }

    /// <summary>The command as a POSIX shell line, every argument that needs it single-quoted.</summary>
    public static string ShellLine(IEnumerable<string> arguments) => "vitmix " + string.Join(" ", arguments.Select(Quote));

    static string Quote(string arg) =>
        arg.Length > 0 && arg.All(ch => char.IsAsciiLetterOrDigit(ch) || "-_./:=+,@%".Contains(ch)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
