using Vitmix.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Explain;

/// <summary>
/// CP-LRP (Ali et al., ICML 2022): LRP with the attention probabilities and LayerNorm's standard deviation held
/// constant, the ε-rule elsewhere (<see cref="CpLrpComposite"/>).
/// </summary>
[Explainer("cplrp", Aliases = ["cp-lrp"], Summary = "CP-LRP, conservative propagation with attention held constant, onto the pixels (Ali et al. 2022)",
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, InAll = true, Order = 53)]
public sealed class CpLrp : CompositeLrpExplainer
{
    readonly float epsilon = 1e-6f;
    CpLrpComposite? composite;

    /// <inheritdoc/>
    public override string Name => "cplrp";

    /// <summary>The stabiliser ε of the ε-rules.</summary>
    [ExplainerOption("cplrp-epsilon", Description = "CP-LRP: the stabiliser ε of its epsilon rules (1e-6)", Minimum = 0, ValueName = "EPSILON")]
    public float Epsilon
    {
        get => epsilon;
        init => epsilon = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Epsilon), "epsilon must be finite and ≥ 0");
    }

    /// <inheritdoc/>
    protected override LrpComposite Composite => composite ??= new CpLrpComposite(Epsilon);
}
