using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// One explanation method: declares what it needs from the shared pass and turns it into maps, the way Captum's
/// attribution classes share one verb. Grid maps (gh, gw) are returned under <see cref="Name"/>, pixel maps
/// (H, W) under Name + ".pixels".
/// </summary>
public interface IExplainer
{
    /// <summary>Short method name used in file names and fusion specs ("rollout", "gradcam", ...).</summary>
    string Name { get; }
    /// <summary>What the method needs from the shared pass; a set of explainers computes the union once.</summary>
    PassRequirements Requires { get; }
    /// <summary>
    /// The maps of sample <paramref name="sample"/> (0-based index into the pass's batch) for the class the pass
    /// explains (<see cref="ExplanationPass.Targets"/>), as (name, map) pairs. <paramref name="pass"/> must hold
    /// what <see cref="Requires"/> asks for.
    /// </summary>
    IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample);
}

/// <summary>
/// An explainer that also measures how well its maps keep a property they should have, per sample (integrated
/// gradients' completeness: the attributions sum to y(x) − y(x')). <see cref="ExplainerSet"/> calls this overload
/// and keeps the numbers in <see cref="ImageExplanation.Checks"/>.
/// </summary>
public interface ISelfCheckingExplainer : IExplainer
{
    /// <summary>The maps, as <see cref="IExplainer.Explain"/>, and the checks added to <paramref name="checks"/> ("ig.completeness-gap" → value).</summary>
    IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample, IDictionary<string, double> checks);
}

/// <summary>
/// An explainer applied to another one, named PREFIX-METHOD (<c>smooth-saliency</c>): the registry creates the inner
/// explainer from METHOD with the same options and hands it over before the first use.
/// </summary>
public interface IExplainerWrapper : IExplainer
{
    /// <summary>The explainer wrapped.</summary>
    IExplainer Inner { get; set; }
}
