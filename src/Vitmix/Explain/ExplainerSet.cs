using Vitmix.Layers;
using System.Reflection;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Explain;

/// <summary>
/// A set of explainers computed from one shared pass: parses method lists against <see cref="ExplainerRegistry"/>,
/// runs the pass once per batch with the union of the requirements, and hands every method its maps.
/// </summary>
public sealed class ExplainerSet
{
    /// <summary>The explainers, in the order given.</summary>
    public IReadOnlyList<IExplainer> Explainers { get; }

    /// <summary>The union of what the explainers need from the pass.</summary>
    public PassRequirements Requirements { get; }

    /// <summary>A set of the given explainers.</summary>
    public ExplainerSet(IEnumerable<IExplainer> explainers)
    {
        Explainers = explainers.ToList();
        Requirements = Explainers.Aggregate(PassRequirements.None, (r, e) => r | e.Requires);
    }

    /// <summary>The names of the methods whose grid maps fusions can combine, in the set's order.</summary>
    public IReadOnlyList<string> GridMethods => Explainers.Where(e => OutputsOf(e).HasFlag(ExplainerOutputs.Grid)).Select(e => e.Name).ToList();

    /// <summary>The maps an explainer returns: a wrapper's are its method's.</summary>
    static ExplainerOutputs OutputsOf(IExplainer e) =>
        e is IExplainerWrapper w ? OutputsOf(w.Inner) : e.GetType().GetCustomAttribute<ExplainerAttribute>()?.Outputs ?? ExplainerOutputs.Grid;

    /// <summary>
    /// The explainers with every declared option's value, "rollout(rollout-start-layer=3, …), lrp(lrp-start-layer=0)":
    /// what a run records so that runs with other options are not mixed.
    /// </summary>
    public string Settings => string.Join(", ", Explainers.Select(e =>
    {
        var values = OptionValues(e).ToList();
        return values.Count == 0 ? e.Name : $"{e.Name}({string.Join(", ", values)})";
    }));

    /// <summary>"name=value" of every option the explainer declares, then of its inner method's for a wrapper.</summary>
    static IEnumerable<string> OptionValues(IExplainer e)
    {
        var d = ExplainerRegistry.All.FirstOrDefault(x => x.Type == e.GetType());
        var own = d == null ? [] : d.Options.Select(o => $"{o.Option.Name}={System.Convert.ToString(o.Property.GetValue(e), System.Globalization.CultureInfo.InvariantCulture)?.ToLowerInvariant()}");
        return e is IExplainerWrapper w ? own.Concat(OptionValues(w.Inner)) : own;
    }

    /// <summary>
    /// A comma-separated list of method names or aliases, or "all" (<see cref="ExplainerRegistry.AllMethods"/>); a
    /// wrapper applied to a method is PREFIX-METHOD or PREFIX(METHOD) (<c>smooth-saliency</c>, <c>smooth(saliency)</c>).
    /// </summary>
    public static ExplainerSet Parse(string methods, ExplainerOptions? options = null)
    {
        options ??= ExplainerOptions.Defaults;
        var chosen = new List<ExplainerDescriptor>();
        foreach (var raw in methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Equals("all", StringComparison.OrdinalIgnoreCase))
                chosen.AddRange(ExplainerRegistry.AllMethods.Select(n => ExplainerRegistry.Find(n)!));
            else chosen.Add(ExplainerRegistry.Find(raw) ?? throw new ArgumentException($"unknown method '{raw}'; known: {ExplainerRegistry.Names}, all"));
        }
        if (chosen.Count == 0) throw new ArgumentException("no method given");
        return new ExplainerSet(chosen.Distinct().Select(d => d.Create(options)));
    }

    /// <summary>Explains every image of a normalised batch (B,C,H,W) with one shared pass.</summary>
    /// <param name="model">The network.</param>
    /// <param name="batch">The images.</param>
    /// <param name="targets">Class per image (negative: its predicted class), or null for the predicted class of each.</param>
    public IReadOnlyList<ImageExplanation> Explain(VisionTransformer model, Tensor batch, int[]? targets = null)
    {
        using var pass = ExplanationPass.Compute(model, batch, Requirements, targets);
        int k = model.Config.NumClasses;
        var result = new ImageExplanation[pass.Batch];
        for (int i = 0; i < pass.Batch; i++)
        {
            var logits = pass.Logits.AsSpan(i * k, k).ToArray();
            var probabilities = Probabilities.Of(model.Config, logits);
            int predicted = Probabilities.ArgMax(logits);
            var maps = new Dictionary<string, Heatmap>();
            var checks = new Dictionary<string, double>();
            foreach (var explainer in Explainers)
            {
                var explained = explainer is ISelfCheckingExplainer self ? self.Explain(pass, i, checks) : explainer.Explain(pass, i);
                foreach (var (key, map) in explained) maps[key] = map;
            }
            result[i] = new ImageExplanation(predicted, probabilities[predicted], pass.Targets[i], probabilities[pass.Targets[i]], logits, maps) { Checks = checks };
        }
        return result;
    }
}
