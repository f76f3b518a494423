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
