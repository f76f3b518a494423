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
    PassRequirements Requires { get; }
    IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample);
}
