using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// Full LRP (Chefer et al. 2021, "full"): the relevance pass continued through the position-embedding addition and
/// the patch embedding (z^B rule) down to the pixels, summed over channels. A pixel map; values can be negative.
/// </summary>
[Explainer("fulllrp", Aliases = ["full-lrp"], Summary = "full LRP onto the pixels (Chefer et al. 2021)", Outputs = ExplainerOutputs.Pixels, InAll = true, Order = 50)]
public sealed class FullLrp : IExplainer
{
    /// <inheritdoc/>
    public string Name => "fulllrp";
    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.PixelRelevance;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int plane = c.ImageHeight * c.ImageWidth;
        var pixels = pass.PixelRelevance!.AsSpan(sample * plane, plane).ToArray();
        yield return new(Name + ".pixels", new Heatmap(pixels, c.ImageHeight, c.ImageWidth));
    }
}
