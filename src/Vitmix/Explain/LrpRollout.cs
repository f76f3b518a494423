using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// Rollout of the LRP relevances alone (Chefer et al. 2021's "rollout of relevance" ablation): the same product as
/// <see cref="TransformerAttribution"/> from block 0, with E_l = mean_h max(0, R_l) and no gradient.
/// </summary>
[Explainer("lrp-rollout", Summary = "rollout of the LRP relevances alone (Chefer et al. 2021 ablation)", Order = 60)]
public sealed class LrpRollout : IExplainer
{
    /// <inheritdoc/>
    public string Name => "lrp-rollout";
    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.AttentionRelevance;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var joint = TransformerAttribution.RollOut(pass, sample, 0, useGradients: false);
        yield return new(Name, pass.ReadoutRowToGrid(joint, sample));
    }
}
