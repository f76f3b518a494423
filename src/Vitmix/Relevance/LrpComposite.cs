namespace Vitmix.Relevance;

/// <summary>Where a linear map sits in a ViT, so a composite can give each its own rule.</summary>
public enum LinearRole
{
    /// <summary>The fused query/key/value projection of attention.</summary>
    Qkv,
    /// <summary>Attention's output projection.</summary>
    Projection,
    /// <summary>The MLP's first (expanding) layer.</summary>
    MlpIn,
    /// <summary>The MLP's second layer.</summary>
    MlpOut,
    /// <summary>The classifier head.</summary>
    Head,
}

/// <summary>
/// Which rule applies where: the LRP composite of zennit (and LXT's module-to-rule map). The layers say where relevance
/// flows through them and ask their composite for the rule of each site; the rules (in Rules/) hold the arithmetic. A
/// new LRP variant (AttnLRP, CP-LRP) is a new composite, not a fork of the passes.
/// </summary>
public abstract class LrpComposite
{
    /// <summary>A short name ("transformer-attribution").</summary>
    public abstract string Name { get; }

    /// <summary>The rule for a linear map in <paramref name="role"/>.</summary>
    public abstract ILinearRule Linear(LinearRole role);

    /// <summary>The rule onto the pixels through the patch embedding.</summary>
    public abstract IInputRule Input { get; }

    /// <summary>The rule for tokens + position embeddings.</summary>
    public abstract IAdditionRule PositionEmbedding { get; }

    /// <summary>The rule for a residual connection x + branch(x).</summary>
    public abstract IAdditionRule Residual { get; }

    /// <summary>The rule at the input of a residual block, which feeds the skip and the branch.</summary>
    public abstract ICloneRule Clone { get; }

    /// <summary>The rule for LayerNorm.</summary>
    public abstract INormalizationRule LayerNorm { get; }

    /// <summary>The rule for the MLP's activation (GELU).</summary>
    public abstract IElementwiseRule Activation { get; }

    /// <summary>The rule for LayerScale's per-channel factor.</summary>
    public abstract IElementwiseRule LayerScale { get; }

    /// <summary>The rule for attention's softmax (from the relevance of the probabilities to that of the scores).</summary>
    public abstract IElementwiseRule Softmax { get; }

    /// <summary>The rule for attention's probabilities times values, A·v.</summary>
    public abstract IProductRule AttentionValues { get; }

    /// <summary>The rule for attention's scores, q·kᵀ.</summary>
    public abstract IProductRule AttentionScores { get; }

    /// <summary>
    /// The rule for a SwiGLU MLP's gated product (EVA-02): by default the gate is a constant and the value takes all
    /// (LXT's cp_gated_mlp_forward, CP-LRP's treatment of gates, Ali et al. 2022).
    /// </summary>
    public virtual IGateRule GatedProduct => Rules.GateRule.Constant;

    /// <summary>The rule for the readout (class token selection or token mean).</summary>
    public abstract IPoolingRule Pooling { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
