namespace Vitmix.Explain;

/// <summary>
/// The explanation of one image: the class explained and one map per method. Grid maps (gh, gw) are keyed by
/// method name ("rollout", "gradcam", "saliency", "lrp"); pixel maps by "saliency.pixels", "fulllrp.pixels".
/// </summary>
public sealed record ImageExplanation(
    int PredictedClass,
    float PredictedProbability,
    int TargetClass,
    float TargetProbability,
    float[] Logits,
    IReadOnlyDictionary<string, Heatmap> Maps)
{
    /// <summary>
    /// Numbers self-checking methods report about their maps (<see cref="ISelfCheckingExplainer"/>), by name:
    /// "ig.sum", "ig.score-change" and "ig.completeness-gap" for integrated gradients; empty for the others.
    /// </summary>
    public IReadOnlyDictionary<string, double> Checks { get; init; } = new Dictionary<string, double>();
}
