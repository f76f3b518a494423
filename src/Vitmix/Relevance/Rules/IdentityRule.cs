using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Relevance passes unchanged (Chefer et al. for LayerNorm, GELU, softmax and LayerScale: relevance is attributed
/// by the linear layers and products around them, not by these maps).
/// </summary>
public sealed class IdentityRule : IElementwiseRule, INormalizationRule
{
    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor y, Tensor outputRelevance) => outputRelevance;

    /// <inheritdoc/>
    public bool ReadsInput => false;

    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor y, Tensor weight, Tensor rstd, Tensor outputRelevance, int rows, int dim) =>
        outputRelevance;
}
