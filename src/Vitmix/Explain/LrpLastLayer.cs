using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>The last block's attention relevance alone (Chefer et al. 2021's ablation): mean_h max(0, R_{L-1}), class-token row.</summary>
[Explainer("lrp-last", Summary = "the last block's attention relevance alone (Chefer et al. 2021 ablation)", Order = 70)]
public sealed class LrpLastLayer : IExplainer
{
    /// <inheritdoc/>
    public string Name => "lrp-last";
    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.AttentionRelevance;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        int n = pass.Config.NumTokens;
        var e = new float[n * n];
        TransformerAttribution.HeadMeanPositive(pass, pass.Config.Depth - 1, sample, useGradients: false, e);
        yield return new(Name, pass.ReadoutRowToGrid(e, sample));
    }
}
