using System.Globalization;
using System.Text.RegularExpressions;

namespace Vitmix.Fusion;

/// <summary>
/// Parses combination specs:
/// <list type="bullet">
/// <item><c>lrp</c> — a single map (fusion "single");</item>
/// <item><c>lrp+rollout</c> — a combination, expanded with every rule of the separately given fusion list
///   (e.g. <c>--fusion gmean,product,sqrt</c>);</item>
/// <item><c>lrp*rollout</c> — the product;</item>
/// <item><c>rule(lrp,rollout)</c> for any rule (<c>gmean</c>, <c>sqrt</c>, <c>product</c>, <c>mean</c>, <c>hmean</c>,
///   <c>min</c>, <c>rankmean</c>), with optional weights <c>wgmean(lrp:2,rollout:1)</c>;</item>
/// <item><c>--combos 1,2,3</c> — every 1-, 2- and 3-way combination of the chosen methods (<see cref="Combinations"/>).</item>
/// </list>
/// Method names are lower-cased and keep the user's order; duplicates of the same spec are dropped.
/// </summary>
public static partial class FusionSpecParser
{
    /// <summary>Parses one spec; <paramref name="fusions"/> expands "a+b" forms (ignored for explicit forms).</summary>
    public static IReadOnlyList<FusionSpec> Parse(string spec, IReadOnlyList<string> fusions, IReadOnlyCollection<string>? knownMethods = null)
    {
        string s = spec.Trim();
        if (s.Length == 0) throw new ArgumentException("empty fusion spec");
        var call = CallRegex().Match(s);
        List<FusionSpec> result;
        if (call.Success)
        {
            string rule = call.Groups[1].Value;
            if (FusionRules.Canonical(rule) is not { } canonical || canonical == FusionRules.Single)
                throw new ArgumentException($"fusion spec '{spec}': unknown rule '{rule}', expected one of {string.Join(", ", FusionRules.All.Select(r => r.Name))}");
            var methods = new List<string>();
            var weights = new List<float>();
            bool anyWeight = false;
            foreach (var part in call.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries))
            {
                var pieces = part.Split(':', StringSplitOptions.TrimEntries);
                if (pieces.Length > 2 || pieces[0].Length == 0) throw new ArgumentException($"fusion spec '{spec}': bad argument '{part}', expected method or method:weight");
                methods.Add(Method(pieces[0], spec, knownMethods));
                if (pieces.Length == 2)
                {
                    if (!float.TryParse(pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !(w > 0) || float.IsInfinity(w))
                        throw new ArgumentException($"fusion spec '{spec}': weight '{pieces[1]}' of '{pieces[0]}' is not a positive number");
                    weights.Add(w); anyWeight = true;
                }
                else weights.Add(1f);
            }
            result = [Make(methods, canonical, anyWeight ? weights : null, spec)];
        }
        else if (s.Contains('*'))
        {
            if (s.Contains('+')) throw new ArgumentException($"fusion spec '{spec}': mixes '+' and '*'; write rule(a,b,...) instead");
            result = [Make(Methods(s, '*', spec, knownMethods), "product", null, spec)];
        }
        else
        {
            var methods = Methods(s, '+', spec, knownMethods);
            if (methods.Count == 1) result = [Make(methods, FusionRules.Single, null, spec)];
            else
            {
                if (fusions.Count == 0) throw new SettingRequiredException("fusion", $"fusion spec '{spec}' combines {methods.Count} maps but no fusion rule was given");
                result = [.. fusions.Select(f => Make(methods, f, null, spec))];
            }
        }
        return result;
    }

    /// <summary>Parses several specs (each may also be a comma-free list item), keeping first occurrences.</summary>
    public static IReadOnlyList<FusionSpec> ParseMany(IEnumerable<string> specs, IReadOnlyList<string> fusions, IReadOnlyCollection<string>? knownMethods = null)
    {
        var seen = new HashSet<FusionSpec>();
        var list = new List<FusionSpec>();
        foreach (var s in specs)
            foreach (var f in Parse(s, fusions, knownMethods))
                if (seen.Add(f)) list.Add(f);
        return list;
    }

    /// <summary>Reads specs from a file: one per line, blank lines and text after '#' ignored. Errors name the file and line.</summary>
    public static IReadOnlyList<FusionSpec> ParseFile(string path, IReadOnlyList<string> fusions, IReadOnlyCollection<string>? knownMethods = null)
    {
        var lines = File.ReadAllLines(path);
        var specs = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (line.Length == 0) continue;
            try { Parse(line, fusions, knownMethods); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}:{i + 1}: {e.Message}", e); }
            specs.Add(line);
        }
        return ParseMany(specs, fusions, knownMethods);
    }

    /// <summary>
    /// Every combination of <paramref name="methods"/> with a size in <paramref name="sizes"/> (in the order of
    /// itertools.combinations, sizes ascending), each multi-map one expanded with every rule of <paramref name="fusions"/>.
    /// </summary>
    public static IReadOnlyList<FusionSpec> Combinations(IReadOnlyList<string> methods, IEnumerable<int> sizes, IReadOnlyList<string> fusions)
    {
        var ms = methods.Select(m => Method(m, string.Join(",", methods), null)).ToList();
        if (ms.Distinct(StringComparer.Ordinal).Count() != ms.Count) throw new ArgumentException($"methods {string.Join(",", methods)} contain a duplicate");
        var specs = new List<string>();
        foreach (int k in sizes.Distinct().Order())
        {
            if (k < 1 || k > ms.Count) throw new ArgumentException($"combination size {k} is outside 1..{ms.Count} (methods: {string.Join(",", ms)})");
            foreach (var combo in Choose(ms.Count, k)) specs.Add(MapId.JoinMethods(combo.Select(i => ms[i])));
        }
        return ParseMany(specs, fusions);
    }

    /// <summary>Parses "1,2,3" (or "2-4") into combination sizes.</summary>
    public static IReadOnlyList<int> ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', StringSplitOptions.TrimEntries);
            if (range.Length == 2 && int.TryParse(range[0], out int a) && int.TryParse(range[1], out int b) && a <= b)
                sizes.AddRange(Enumerable.Range(a, b - a + 1));
            else if (range.Length == 1 && int.TryParse(part, out int k)) sizes.Add(k);
            else throw new ArgumentException($"combination sizes '{text}': '{part}' is not a number or a range a-b");
        }
        if (sizes.Count == 0) throw new ArgumentException($"combination sizes '{text}' name no size");
        return sizes;
    }

    /// <summary>Parses a fusion list "gmean,product,sqrt" into canonical rule names.</summary>
    public static IReadOnlyList<string> ParseFusions(string text) =>
        [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(f => FusionRules.Canonical(f) is { } c && c != FusionRules.Single ? c
                : throw new ArgumentException($"unknown fusion '{f}' in '{text}', expected one of {string.Join(", ", FusionRules.All.Select(r => r.Name))}"))
            .Distinct()];

    static IEnumerable<int[]> Choose(int n, int k)
    {
        var idx = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return (int[])idx.Clone();
            int i = k - 1;
            while (i >= 0 && idx[i] == n - k + i) i--;
            if (i < 0) yield break;
            idx[i]++;
            for (int j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
        }
    }

    static FusionSpec Make(List<string> methods, string fusion, List<float>? weights, string spec)
    {
        try { return new FusionSpec(methods, fusion, weights); }
        catch (ArgumentException e) { throw new ArgumentException($"fusion spec '{spec}': {e.Message}", e); }
    }

    static List<string> Methods(string s, char sep, string spec, IReadOnlyCollection<string>? known) =>
        [.. s.Split(sep, StringSplitOptions.TrimEntries).Select(m => Method(m, spec, known))];

    static string Method(string m, string spec, IReadOnlyCollection<string>? known)
    {
        string name = m.Trim().ToLowerInvariant();
        if (!MethodRegex().IsMatch(name)) throw new ArgumentException($"fusion spec '{spec}': '{m}' is not a method name");
        if (known is not null && !known.Contains(name))
            throw new ArgumentException($"fusion spec '{spec}': unknown method '{m}', expected one of {string.Join(", ", known)}");
        return name;
    }

    [GeneratedRegex(@"^([A-Za-z]+)\s*\((.*)\)$")]
    private static partial Regex CallRegex();

    [GeneratedRegex(@"^[a-z][a-z0-9_.\-]*$")]
    private static partial Regex MethodRegex();
}
