using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Relevance through SwiGLU's gated product h = silu(g) ⊙ v, as LXT (rachtibat/LRP-eXplains-Transformers,
/// lxt/efficient/patches.py) patches gated MLPs: <see cref="Constant"/> holds the gate constant, so v takes all of h's
/// relevance and g none (cp_gated_mlp_forward, CP-LRP: Ali et al. 2022); <see cref="Uniform"/> gives each factor half
/// (AttnLRP's uniform rule for a product of two activations, Achtibat et al. 2024, Prop. 3.3) and passes the gate's
/// half through the SiLU unchanged (its identity rule on activations; gated_mlp_forward).
/// </summary>
public sealed class GateRule : IGateRule
{
    readonly float valueShare;

    GateRule(float valueShare) => this.valueShare = valueShare;

    /// <summary>The gate a constant: all to the value.</summary>
    public static GateRule Constant { get; } = new(1f);

    /// <summary>Half to the gate's pre-activation, half to the value.</summary>
    public static GateRule Uniform { get; } = new(0.5f);

    /// <inheritdoc/>
    public void Apply(RelevanceContext context, Tensor pre, Tensor productRelevance, Tensor preRelevance, int rows, int hidden)
    {
        float gateShare = 1f - valueShare;
        for (int r = 0; r < rows; r++)
        {
            var rh = productRelevance.Data.AsSpan(r * hidden, hidden);
            var rg = preRelevance.Data.AsSpan(r * 2 * hidden, hidden);
            var rv = preRelevance.Data.AsSpan(r * 2 * hidden + hidden, hidden);
            for (int j = 0; j < hidden; j++)
            {
                rg[j] = gateShare * rh[j];
                rv[j] = valueShare * rh[j];
            }
        }
    }
}
