namespace Vitmix.Fusion;

/// <summary>
/// Which maps a run produces: every single grid method, then the combinations the user asked for —
/// a list of specs ("lrp+rollout,gmean(lrp,saliency)"), combination sizes ("1,2,3": every k-way combination of the
/// methods), or a file of specs ("@combos.txt" or an existing path) — each expanded with every --fusion rule.
/// </summary>
public static class CombinationPlan
{
    /// <summary>The singles of <paramref name="gridMethods"/>, then the combinations <paramref name="combos"/> names (none when null), each with every rule of <paramref name="fusions"/>.</summary>
    public static IReadOnlyList<FusionSpec> Build(IReadOnlyList<string> gridMethods, string? combos, string fusions)
    {
        var rules = FusionSpecParser.ParseFusions(fusions);
        var specs = new List<FusionSpec>();
        specs.AddRange(gridMethods.Select(m => new FusionSpec([m], FusionRules.Single)));
        if (!string.IsNullOrWhiteSpace(combos))
        {
            string text = combos.Trim();
            IReadOnlyList<FusionSpec> extra;
            if (text.StartsWith('@') || File.Exists(text))
            {
                string path = text.TrimStart('@');
                if (!File.Exists(path)) throw new FileNotFoundException($"{path}: combination file not found", path);
                extra = FusionSpecParser.ParseFile(path, rules, gridMethods.ToList());
            }
            else if (text.All(ch => char.IsDigit(ch) || ch is ',' or '-' or ' '))
                extra = FusionSpecParser.Combinations(gridMethods, FusionSpecParser.ParseSizes(text), rules);
            else extra = FusionSpecParser.ParseMany(SplitTopLevel(text), rules, gridMethods.ToList());
            foreach (var s in extra)
                if (!specs.Contains(s)) specs.Add(s);
        }
        return specs;
    }

    /// <summary>
    /// The maps an evaluation makes when no combinations are asked for: every single method; every combination of 2 up
    /// to <paramref name="maxSize"/> of those in <paramref name="core"/> (the ViTmiX methods; all the methods when
    /// fewer than two of them are given); and each other method paired with LRP, the paper's best partner (with the
    /// first core method when LRP is not among them). Combining a dozen methods every way would be thousands of maps,
    /// each with its curves; this keeps the paper's table and puts every other method beside it once.
    /// </summary>
    public static IReadOnlyList<FusionSpec> Default(IReadOnlyList<string> gridMethods, IReadOnlyCollection<string> core, string fusions, int? maxSize = null)
    {
        var rules = FusionSpecParser.ParseFusions(fusions);
        var specs = gridMethods.Select(m => new FusionSpec([m], FusionRules.Single)).ToList();
        var fused = gridMethods.Where(core.Contains).ToList();
        if (fused.Count < 2) fused = gridMethods.ToList();
        int top = Math.Min(maxSize ?? fused.Count, fused.Count);
        if (top >= 2) specs.AddRange(FusionSpecParser.Combinations(fused, Enumerable.Range(2, top - 1), rules));
        if (fused.Count < gridMethods.Count)
        {
            string partner = fused.Contains("lrp") ? "lrp" : fused[0];
            foreach (var other in gridMethods.Where(m => !fused.Contains(m)))
                foreach (var rule in rules) specs.Add(new FusionSpec([other, partner], rule));
        }
        return specs.Distinct().ToList();
    }

    /// <summary>
    /// The default combinations of <paramref name="methods"/> methods as a sizes list: every size from 2 up to all of
    /// them ("2-4" for four), so the default always fits the methods given; null (no combination) for a single method.
    /// </summary>
    public static string? EveryCombination(int methods) => methods < 2 ? null : $"2-{methods}";

    /// <summary>Splits on commas outside parentheses: "a+b,gmean(a,b)" → ["a+b", "gmean(a,b)"].</summary>
    public static IReadOnlyList<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0) { parts.Add(text[start..i]); start = i + 1; }
        }
        parts.Add(text[start..]);
        return parts.Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
    }
}
