using System.Globalization;

namespace Vitmix.Model;

/// <summary>How the token sequence is pooled into the classifier's input.</summary>
public enum GlobalPool
{
    /// <summary>The class token (index 0), timm's 'token'.</summary>
    Token,
    /// <summary>The mean of the patch tokens (prefix tokens excluded), timm's 'avg'.</summary>
    Average,
    /// <summary>Multihead attention pooling: a learned probe attends over all tokens (timm's 'map', SigLIP's head).</summary>
    Map,
    /// <summary>
    /// The class token and the mean of the patch tokens (registers excluded) side by side, 2·D wide: Hugging Face's
    /// Dinov2ForImageClassification head input.
    /// </summary>
    ClassAndPatchMean,
}

/// <summary>How a contrastive image-text model turns cosines with text embeddings into class scores.</summary>
public enum ZeroShotScores
{
    /// <summary>Not a zero-shot model: the head is a classifier.</summary>
    None,
    /// <summary>CLIP (Radford et al. 2021): logits exp(scale)·cos, probabilities by softmax over the classes.</summary>
    Softmax,
    /// <summary>SigLIP (Zhai et al. 2023): logits exp(scale)·cos + bias, each class's probability its own sigmoid.</summary>
    Sigmoid,
}

/// <summary>
/// Architecture of a Vision Transformer classifier (Dosovitskiy et al. 2021) in timm's terms.
/// Prefix tokens come before the patch tokens: [class token][distillation token][register tokens].
/// </summary>
public sealed record VitConfig
{
    /// <summary>Input height in pixels; a multiple of <see cref="PatchSize"/>.</summary>
    public int ImageHeight { get; init; } = 224;
    /// <summary>Input width in pixels; a multiple of <see cref="PatchSize"/>.</summary>
    public int ImageWidth { get; init; } = 224;
    /// <summary>Side p of the square, non-overlapping patches, in pixels.</summary>
    public int PatchSize { get; init; } = 16;
    /// <summary>Input channels C (3 for RGB).</summary>
    public int InChannels { get; init; } = 3;
    /// <summary>Token width D (timm's embed_dim, Hugging Face's hidden_size).</summary>
    public int EmbedDim { get; init; } = 768;
    /// <summary>Number of transformer blocks.</summary>
    public int Depth { get; init; } = 12;
    /// <summary>Attention heads per block; divides <see cref="EmbedDim"/>.</summary>
    public int NumHeads { get; init; } = 12;
    /// <summary>MLP hidden width; 4·EmbedDim for the standard ViT.</summary>
    public int MlpHidden { get; init; } = 3072;
    /// <summary>Number of classes K, the classifier head's output width.</summary>
    public int NumClasses { get; init; } = 1000;
    /// <summary>Whether the qkv projection has a bias.</summary>
    public bool QkvBias { get; init; } = true;
    /// <summary>Epsilon of every LayerNorm (timm 1e-6, Hugging Face 1e-12 by default).</summary>
    public float LayerNormEps { get; init; } = 1e-6f;
    /// <summary>Whether a learned class token is prepended (index 0); required by <see cref="GlobalPool.Token"/>.</summary>
    public bool ClassToken { get; init; } = true;
    /// <summary>DeiT distillation token with its own head; logits are the mean of both heads at eval.</summary>
    public bool Distilled { get; init; }
    /// <summary>Number of register tokens (Darcet et al. 2024) after the class and distillation tokens; 0 for none.</summary>
    public int RegisterTokens { get; init; }
    /// <summary>LayerScale (per-channel γ on each residual branch, timm's init_values / ls1, ls2).</summary>
    public bool LayerScale { get; init; }
    /// <summary>How the tokens are pooled into the classifier's input.</summary>
    public GlobalPool Pool { get; init; } = GlobalPool.Token;
    /// <summary>LayerNorm after pooling instead of before it (timm's fc_norm; replaces the final norm).</summary>
    public bool FcNorm { get; init; }
    /// <summary>Position embeddings cover only the patch tokens and are added before the prefix tokens are prepended.</summary>
    public bool NoEmbedClass { get; init; }
    /// <summary>
    /// The checkpoint has no classifier (timm num_classes=0, a DINOv2 or MAE backbone): the outputs are the readout's
    /// features themselves, one per "class" (<see cref="NumClasses"/> = <see cref="ReadoutWidth"/>), through an identity head.
    /// </summary>
    public bool FeatureHead { get; init; }
    /// <summary>A learned absolute position embedding is added (false: BEiT's use_abs_pos_emb=False, positions come from <see cref="RelativePositionBias"/>).</summary>
    public bool AbsolutePositionEmbedding { get; init; } = true;
    /// <summary>BEiT's relative position bias table in every block (timm use_rel_pos_bias).</summary>
    public bool RelativePositionBias { get; init; }
    /// <summary>One relative position bias table shared by every block (timm use_shared_rel_pos_bias).</summary>
    public bool SharedRelativePositionBias { get; init; }
    /// <summary>The qkv bias is stored as q_bias and v_bias, the keys' bias fixed at zero (BEiT, data2vec-vision).</summary>
    public bool QvBias { get; init; }
    /// <summary>LayerNorm on the embedded tokens before the first block (timm's pre_norm / norm_pre, CLIP's ln_pre).</summary>
    public bool PreNorm { get; init; }
    /// <summary>
    /// The MLP is SwiGLU (Shazeer 2020; EVA-02, timm swiglu_mlp): fc1 gives 2·<see cref="MlpHidden"/> features, the first
    /// half the gate, the second the value, and fc2 reads silu(gate) ⊙ value.
    /// </summary>
    public bool GatedMlp { get; init; }
    /// <summary>A LayerNorm over the MLP's hidden features before fc2 (EVA-02's sub-LN, timm scale_mlp / mlp.norm).</summary>
    public bool MlpNorm { get; init; }
    /// <summary>EVA-02's 2-D rotary position embedding (Su et al. 2021; timm use_rot_pos_emb) on the patch tokens' q and k.</summary>
    public bool RotaryPositionEmbedding { get; init; }
    /// <summary>
    /// The grid the rotary embedding was trained on (timm ref_feat_shape): patch positions are scaled by reference / grid;
    /// 0 for no scaling.
    /// </summary>
    public int RopeReferenceHeight { get; init; }
    /// <summary>See <see cref="RopeReferenceHeight"/>.</summary>
    public int RopeReferenceWidth { get; init; }
    /// <summary>The MLP's non-linearity (exact GELU; QuickGELU for OpenAI's CLIP).</summary>
    public Layers.MlpActivation Activation { get; init; }
    /// <summary>
    /// How a contrastive image-text model scores classes; <see cref="ZeroShotScores.None"/> for a classifier. Otherwise
    /// the head maps the readout to an image embedding of <see cref="ImageEmbedDim"/>, and the logits are its scaled
    /// cosines with <see cref="NumClasses"/> text embeddings (<see cref="Layers.ZeroShotHead"/>).
    /// </summary>
    public ZeroShotScores ZeroShot { get; init; }
    /// <summary>Width E of the image embedding a zero-shot head compares with text rows (CLIP's embed_dim); 0 for a classifier.</summary>
    public int ImageEmbedDim { get; init; }

    /// <summary>LayerNorm epsilon: positive and finite, since it is added to a variance before a square root.</summary>
    public static NumberRange LayerNormEpsRange => NumberRange.Positive;

    /// <summary>Patch rows: <see cref="ImageHeight"/> / <see cref="PatchSize"/>.</summary>
    public int GridHeight => ImageHeight / PatchSize;
    /// <summary>Patch columns: <see cref="ImageWidth"/> / <see cref="PatchSize"/>.</summary>
    public int GridWidth => ImageWidth / PatchSize;
    // The products below are checked: Validate keeps them inside an array's length, and a config that skipped it
    // throws instead of wrapping around to a small size that a kernel would then write past.
    /// <summary>Patch tokens: <see cref="GridHeight"/> · <see cref="GridWidth"/>, in row-major grid order.</summary>
    public int NumPatches => checked(GridHeight * GridWidth);
    /// <summary>Tokens before the patches: class, distillation and register tokens.</summary>
    public int NumPrefixTokens => checked((ClassToken ? 1 : 0) + (Distilled ? 1 : 0) + RegisterTokens);
    /// <summary>Sequence length N: prefix tokens plus patches.</summary>
    public int NumTokens => checked(NumPrefixTokens + NumPatches);
    /// <summary>Width of one head: <see cref="EmbedDim"/> / <see cref="NumHeads"/>.</summary>
    public int HeadDim => EmbedDim / NumHeads;
    /// <summary>Values in one flattened patch: C·p·p.</summary>
    public int PatchDim => checked(InChannels * PatchSize * PatchSize);
    /// <summary>Rows of a relative position bias table: (2·Gh − 1)(2·Gw − 1) + 3.</summary>
    public int RelativePositionRows => checked((2 * GridHeight - 1) * (2 * GridWidth - 1) + 3);
    /// <summary>Width of the classifier's input: D, or 2·D for <see cref="GlobalPool.ClassAndPatchMean"/>.</summary>
    public int ReadoutWidth => Pool == GlobalPool.ClassAndPatchMean ? checked(2 * EmbedDim) : EmbedDim;
    /// <summary>Rows of pos_embed: the patches, plus the prefix tokens unless <see cref="NoEmbedClass"/>.</summary>
    public int NumPositions => NoEmbedClass ? NumPatches : NumTokens;

    /// <summary>Throws an <see cref="InvalidDataException"/> naming every problem of <see cref="Problems"/>.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new InvalidDataException("invalid ViT config: " + string.Join("; ", problems));
    }

    /// <summary>
    /// Every inconsistency: sizes that are not positive, a patch that does not tile the image, heads that do not divide
    /// the width, an epsilon outside <see cref="LayerNormEpsRange"/>, a pooling without its token, and (when the rest is
    /// sound) a token count or a weight tensor larger than an array can hold. Empty when the config is valid; then every
    /// derived size (<see cref="NumTokens"/>, <see cref="PatchDim"/>, each weight's element count) fits an array.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (ImageHeight <= 0 || ImageWidth <= 0) problems.Add($"image size {ImageHeight}x{ImageWidth} must be positive");
        if (PatchSize <= 0) problems.Add($"patch size {PatchSize} must be positive");
        else if (ImageHeight % PatchSize != 0 || ImageWidth % PatchSize != 0)
            problems.Add($"image size {ImageHeight}x{ImageWidth} is not a multiple of the patch size {PatchSize}");
        if (InChannels <= 0) problems.Add($"{InChannels} input channels must be positive");
        if (EmbedDim <= 0 || Depth <= 0 || MlpHidden <= 0 || NumClasses <= 0)
            problems.Add($"embed dim {EmbedDim}, depth {Depth}, MLP hidden {MlpHidden} and classes {NumClasses} must be positive");
        if (RegisterTokens < 0) problems.Add($"{RegisterTokens} register tokens must be zero or more");
        if (NumHeads <= 0 || (EmbedDim > 0 && EmbedDim % NumHeads != 0))
            problems.Add($"{NumHeads} heads do not divide embed dim {EmbedDim}");
        if (!LayerNormEpsRange.Contains(LayerNormEps))
            problems.Add($"LayerNorm eps {LayerNormEps.ToString(CultureInfo.InvariantCulture)}: expected {LayerNormEpsRange}");
        if (Pool is GlobalPool.Token or GlobalPool.ClassAndPatchMean && !ClassToken)
            problems.Add($"{(Pool == GlobalPool.Token ? "token pooling" : "class-and-patch-mean pooling")} needs a class token");
        if (Pool == GlobalPool.ClassAndPatchMean && (Distilled || FcNorm))
            problems.Add("class-and-patch-mean pooling has neither a distillation token nor fc_norm");
        if (FeatureHead && EmbedDim > 0 && NumClasses != (Pool == GlobalPool.ClassAndPatchMean ? 2L * EmbedDim : EmbedDim))
            problems.Add($"a model without a classifier has one output per feature ({(Pool == GlobalPool.ClassAndPatchMean ? 2L * EmbedDim : EmbedDim)}), not {NumClasses}");
        if (Distilled && !ClassToken)
            problems.Add("a distilled model needs a class token");
        if ((RelativePositionBias || SharedRelativePositionBias) && (!ClassToken || Distilled || RegisterTokens > 0))
            problems.Add("a relative position bias needs exactly one prefix token, the class token");
        if (RelativePositionBias && SharedRelativePositionBias)
            problems.Add("a relative position bias is either per block or shared, not both");
        if (RotaryPositionEmbedding && (!ClassToken || NumPrefixTokens != 1))
            problems.Add("a rotary position embedding needs exactly one prefix token, the class token (timm eva.py rotates every token after the first)");
        if (RotaryPositionEmbedding && NumHeads > 0 && EmbedDim % NumHeads == 0 && HeadDim % 4 != 0)
            problems.Add($"a 2-D rotary position embedding needs a head width divisible by 4, not {HeadDim}");
        if (RopeReferenceHeight < 0 || RopeReferenceWidth < 0)
            problems.Add($"rotary reference grid {RopeReferenceHeight}x{RopeReferenceWidth} must not be negative");
        if (MlpNorm && !GatedMlp)
            problems.Add("a norm inside the MLP is supported with the SwiGLU MLP only (EVA-02's sub-LN)");
        if (QvBias && !QkvBias)
            problems.Add("q and v biases need the qkv bias");
        if (ZeroShot != ZeroShotScores.None && ImageEmbedDim <= 0)
            problems.Add($"a zero-shot head needs a positive image embedding width, not {ImageEmbedDim}");
        if (problems.Count == 0) problems.AddRange(SizeProblems());
        return problems;
    }

    /// <summary>Sizes past <see cref="Array.MaxLength"/>, computed in 64 bits before any int property is read.</summary>
    IEnumerable<string> SizeProblems()
    {
        long max = Array.MaxLength;
        long patches = (long)(ImageHeight / PatchSize) * (ImageWidth / PatchSize);
        long tokens = (ClassToken ? 1 : 0) + (Distilled ? 1 : 0) + (long)RegisterTokens + patches;
        if (tokens > max)
        {
            yield return $"image {ImageHeight}x{ImageWidth} at patch {PatchSize} gives {ModelMemory.Count(tokens)} tokens, more than an array can hold ({ModelMemory.Count(max)})";
            yield break;
        }
        if (ModelMemory.Multiply(InChannels, ModelMemory.Multiply(PatchSize, PatchSize)) > max)
        {
            yield return $"a {InChannels}x{PatchSize}x{PatchSize} patch has more values than an array can hold ({ModelMemory.Count(max)})";
            yield break;
        }
        // qkv.weight is (3D, D): its first dimension must itself be an int
        if (3L * EmbedDim > int.MaxValue)
        {
            yield return $"embed dim {EmbedDim} is too large: qkv.weight would have {ModelMemory.Count(3L * EmbedDim)} rows";
            yield break;
        }
        // One block stands for all: they share their shapes, and a hostile depth must not cost an enumeration.
        foreach (var (name, shape) in VitWeights.ExpectedShapes(this with { Depth = 1 }))
        {
            long n = ModelMemory.Elements(shape);
            if (n > max)
                yield return $"{name} [{string.Join(", ", shape)}] would have {ModelMemory.Count(n)} elements, more than an array can hold ({ModelMemory.Count(max)})";
        }
    }

    /// <summary>One line naming size, patch, width, depth, heads, MLP, classes, variants and epsilon, as errors quote it.</summary>
    public override string ToString() =>
        $"ViT {ImageHeight}x{ImageWidth}/{PatchSize}, dim {EmbedDim}, depth {Depth}, heads {NumHeads}, mlp {MlpHidden}, classes {NumClasses}" +
        $"{(Distilled ? ", distilled" : "")}{(RegisterTokens > 0 ? $", {RegisterTokens} registers" : "")}{(LayerScale ? ", LayerScale" : "")}" +
        $"{(Pool == GlobalPool.Average ? ", avg pool" : Pool == GlobalPool.ClassAndPatchMean ? ", class+mean pool" : "")}{(RelativePositionBias || SharedRelativePositionBias ? ", relative position bias" : "")}{(RotaryPositionEmbedding ? ", rotary position embedding" : "")}{(GatedMlp ? MlpNorm ? ", SwiGLU with sub-LN" : ", SwiGLU" : "")}{(FeatureHead ? ", no classifier" : "")}, eps {LayerNormEps:G3}";
}
