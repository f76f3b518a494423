using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance;

/// <summary>Relevance through y = x·Wᵀ (+ bias): the input's relevance from the output's.</summary>
public interface ILinearRule
{
    /// <summary>
    /// Relevance of x (rows, inDim), rented from the context, from the relevance of y (rows, outDim). The bias (outDim,
    /// or null) is there for rules whose denominator is the whole output, as LRP-ε's, so that the bias takes its share.
    /// </summary>
    Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim);
}

/// <summary>Relevance through the first linear map, onto the input pixels, which need the input's range.</summary>
public interface IInputRule
{
    /// <summary>
    /// Relevance of the unfolded input x (rows, inDim) from the relevance of y = x·Wᵀ + bias (rows, outDim); the rows
    /// of a sample are contiguous, and <paramref name="images"/> (one equal share per sample) gives each sample's range.
    /// </summary>
    Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim, Tensor images);
}

/// <summary>Relevance through z = a + b (a residual connection, or tokens plus position embeddings).</summary>
public interface IAdditionRule
{
    /// <summary>The relevances of a and b (rented), from the relevance of z; sums the rule takes are per sample.</summary>
    (Tensor A, Tensor B) Apply(RelevanceContext context, Tensor a, Tensor b, Tensor outputRelevance);
}

/// <summary>Relevance at an activation that fed two paths (the input of a residual block).</summary>
public interface ICloneRule
{
    /// <summary>The relevance of x from the relevances of its two uses; may overwrite and return <paramref name="first"/>.</summary>
    Tensor Apply(RelevanceContext context, Tensor x, Tensor first, Tensor second);
}

/// <summary>Relevance through an element-wise or row-wise map y = f(x) (GELU, softmax, LayerScale).</summary>
public interface IElementwiseRule
{
    /// <summary>The relevance of x from that of y; may return <paramref name="outputRelevance"/> itself.</summary>
    Tensor Apply(RelevanceContext context, Tensor x, Tensor y, Tensor outputRelevance);

    /// <summary>
    /// Whether the rule reads x. Where the forward pass did not keep x (the softmax's logits, which attention folds
    /// into its probabilities), the layer recomputes it only for a rule that reads it, and passes y in its place
    /// otherwise.
    /// </summary>
    bool ReadsInput => true;
}

/// <summary>
/// Relevance through LayerNorm, y = (x − mean x) · rstd ⊙ w + b per row, rstd = 1/√(var x + eps): its input, output,
/// scale and the per-row rstd of the forward pass, for rules that treat parts of it as constants.
/// </summary>
public interface INormalizationRule
{
    /// <summary>
    /// The relevance of x (rows, dim) from that of y; may return <paramref name="outputRelevance"/> itself.
    /// <paramref name="rstd"/> holds one factor per row.
    /// </summary>
    Tensor Apply(RelevanceContext context, Tensor x, Tensor y, Tensor weight, Tensor rstd, Tensor outputRelevance, int rows, int dim);
}

/// <summary>
/// The operands of a product of two activations per (sample, head), out = X·op(Y), as attention computes A·v and
/// q·kᵀ. Dimensions: X is m×k, op(Y) is k×n, out and its relevance m×n.
/// </summary>
/// <param name="Batch">Samples.</param>
/// <param name="Heads">Heads per sample.</param>
/// <param name="M">Rows of X and of the product.</param>
/// <param name="K">The contracted dimension.</param>
/// <param name="N">Columns of the product.</param>
/// <param name="X">The left factor.</param>
/// <param name="Y">The right factor, stored k×n, or n×k when <paramref name="TransposeY"/>.</param>
/// <param name="TransposeY">Whether the product uses Yᵀ.</param>
/// <param name="Output">The product as the forward pass computed it (same layout as the relevance), or null to recompute it.</param>
/// <param name="OutputRelevance">The relevance of the product.</param>
/// <param name="XRelevance">Where the relevance of X goes (X's layout).</param>
/// <param name="YRelevance">Where the relevance of Y goes (Y's layout).</param>
public readonly record struct HeadProduct(int Batch, int Heads, int M, int K, int N, HeadView X, HeadView Y, bool TransposeY,
    HeadView? Output, HeadView OutputRelevance, HeadView XRelevance, HeadView YRelevance);

/// <summary>Relevance through a product of two activations (attention's A·v and q·kᵀ).</summary>
public interface IProductRule
{
    /// <summary>Writes the relevances of both factors of <paramref name="product"/>.</summary>
    void Apply(RelevanceContext context, in HeadProduct product);
}

/// <summary>Relevance through the readout of token rows: selecting rows, or averaging a run of them.</summary>
public interface IPoolingRule
{
    /// <summary>The relevance of selected rows (same shape), from the relevance of the selection.</summary>
    Tensor Select(RelevanceContext context, Tensor selected, Tensor outputRelevance);

    /// <summary>
    /// The relevance of every token row of x (batch, tokens, cols) (0 outside [first, first+count)) from the relevance
    /// of mean (batch, cols), the mean of those rows.
    /// </summary>
    Tensor Mean(RelevanceContext context, Tensor x, int batch, int tokens, int cols, int first, int count, Tensor mean, Tensor outputRelevance);
}

/// <summary>
/// Relevance through a gated product h = silu(g) ⊙ v (SwiGLU), whose pre-activations lie in rows of 2·hidden: the gate
/// g first, the value v second.
/// </summary>
public interface IGateRule
{
    /// <summary>
    /// Writes into <paramref name="preRelevance"/> (rows, 2·hidden) the relevances of g and v from that of h (rows, hidden);
    /// <paramref name="pre"/> holds g and v as the forward pass computed them.
    /// </summary>
    void Apply(RelevanceContext context, Tensor pre, Tensor productRelevance, Tensor preRelevance, int rows, int hidden);
}
