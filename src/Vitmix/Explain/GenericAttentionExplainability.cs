using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// GAE, generic attention-model explainability (Chefer, Gur &amp; Wolf, ICCV 2021), as its reference code
/// (hila-chefer/Transformer-MM-Explainability, Transformer_MM_explainability_ViT.ipynb: avg_heads,
/// apply_self_attention_rules, generate_relevance) computes it: R = I, and for every block from the start layer
/// R ← R + Ā_b·R with Ā_b = mean_h max(0, ∇A_b ⊙ A_b), the gradient of the target logit with respect to the
/// block's attention probabilities times those probabilities. The map is the readout row (the class token's for a class-token model) over the patches,
/// unnormalised. Transformer attribution with the attention itself in place of its LRP relevance, so one forward
/// and one backward serve it (no relevance pass). The CLIP notebook starts late (its start_layer): so can this.
/// </summary>
[Explainer("gae", Aliases = ["generic-attention"], Summary = "generic attention-model explainability (Chefer et al. 2021b)", InAll = true, Order = 45)]
public sealed class GenericAttentionExplainability : IExplainer
{
    readonly int startLayer;

    /// <inheritdoc/>
    public string Name => "gae";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.Attention | PassRequirements.AttentionGradients;

    /// <summary>The first block accumulated (the reference's start_layer; clamped to the last block).</summary>
    [ExplainerOption("gae-start-layer", Description = "GAE start layer: blocks before it are skipped (Chefer's CLIP notebook starts late)", Minimum = 0, ValueName = "LAYER")]
    public int StartLayer
    {
        get => startLayer;
        init => startLayer = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(StartLayer), "start layer must be ≥ 0");
    }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        // R ← (I + Ā_b)·R for b = start … last is transformer attribution's product with the attention in place of
        // the relevances.
        var r = TransformerAttribution.RollOut(pass, sample, Math.Min(StartLayer, pass.Config.Depth - 1), pass.Attention, useGradients: true);
        yield return new(Name, pass.ReadoutRowToGrid(r, sample));
    }
}
