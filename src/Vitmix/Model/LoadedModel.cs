using Vitmix.Data;
namespace Vitmix.Model;

/// <summary>The key naming a checkpoint was written with.</summary>
public enum CheckpointLayout
{
    /// <summary>timm's state-dict names (patch_embed.proj.weight, blocks.N.attn.qkv.weight, ...), which <see cref="VitWeights"/> uses.</summary>
    Timm,
    /// <summary>Hugging Face transformers' ViTForImageClassification names (vit.embeddings..., vit.encoder.layer.N..., the vit. prefix optional).</summary>
    HuggingFace,
    /// <summary>torchvision's vit_b_16 family names (conv_proj, encoder.layers.encoder_layer_N...).</summary>
    Torchvision,
    /// <summary>OpenAI's CLIP names as open_clip holds them (visual.conv1, visual.transformer.resblocks.N, visual.proj).</summary>
    OpenClip,
}

/// <summary>A model ready to run: the network, its preprocessing and class names, and where they came from.</summary>
public sealed class LoadedModel
{
    /// <summary>The network with its weights, ready for forward, backward and relevance passes.</summary>
    public required VisionTransformer Network { get; init; }
    /// <summary>How an image becomes the network's input (resize, crop, normalisation), from the checkpoint's config.</summary>
    public required Preprocessing Preprocessing { get; init; }
    /// <summary>One name per class, or null when the checkpoint names none.</summary>
    public string[]? ClassNames { get; init; }
    /// <summary>The key naming the checkpoint was written with.</summary>
    public required CheckpointLayout Layout { get; init; }
    /// <summary>The weights file.</summary>
    public required string WeightsPath { get; init; }
    /// <summary>Where the architecture came from (config.json, architecture name, metadata, shapes, overrides).</summary>
    public required string ConfigSource { get; init; }
    /// <summary>The family of a classifier or backbone in words ("DINOv2 with 4 registers (timm layout)"), as the loader names it; null when not known.</summary>
    public string? FamilyDescription { get; init; }
    /// <summary>How the checkpoint's own library resizes its position embeddings (<c>--pos-embed-interpolation library</c>).</summary>
    public PositionEmbeddingInterpolation LibraryInterpolation { get; init; } = PositionEmbeddingInterpolation.AntialiasedBicubic;

    /// <summary>The network's architecture.</summary>
    public VitConfig Config => Network.Config;

    /// <summary>
    /// For a contrastive image-text checkpoint (CLIP), its family and zero-shot scale; null for a classifier. Until text
    /// embeddings are attached (<see cref="WithZeroShot"/>), the network's output is the image embedding.
    /// </summary>
    public ImageTextHead? ImageText { get; init; }

    /// <summary>Whether this is an image-text model that has no classes yet: it cannot predict until text embeddings are given.</summary>
    public bool NeedsTextEmbeddings => ImageText != null && Config.ZeroShot == ZeroShotScores.None;

    /// <summary>
    /// One line naming the family and layout for <c>vitmix info</c>: "CLIP ViT-B/16 image encoder (OpenAI layout),
    /// zero-shot head" for an image-text model, else <see cref="FamilyDescription"/> ("DINOv2 with 4 registers (timm layout)").
    /// </summary>
    public string? Family => ImageText == null ? FamilyDescription
        : ImageText.Family + (NeedsTextEmbeddings ? ", no classes (give text embeddings)" : $", zero-shot head over {Config.NumClasses} classes");

    /// <summary>
    /// This image-text model as a zero-shot classifier of <paramref name="classes"/>: the image embedding's scaled
    /// cosines with the text rows (<see cref="Layers.ZeroShotHead"/>) are its logits, with the checkpoint's logit scale
    /// (and bias). Errors name the embeddings' source and the mismatch.
    /// </summary>
    public LoadedModel WithZeroShot(ZeroShotClasses classes)
    {
        var head = ImageText ?? throw new ArgumentException($"{classes.Source}: {WeightsPath} is a classifier, not an image-text model; text embeddings apply to CLIP checkpoints");
        var problems = classes.Problems();
        if (problems.Count > 0) throw new InvalidDataException($"{classes.Source}: {string.Join("; ", problems)}");
        if (classes.Dim != head.EmbedDim)
            throw new InvalidDataException($"{classes.Source}: rows are {classes.Dim} wide, the model's image embeddings {head.EmbedDim} (text embeddings of another model?)");
        var c = Config;
        var config = c with { ZeroShot = head.Scores, NumClasses = classes.Classes, ImageEmbedDim = head.EmbedDim };
        config.Validate();
        // A tower without the head's scale (and SigLIP's bias) takes them from the text embeddings' file.
        float scale = classes.LogitScale ?? head.LogitScale ?? throw new InvalidDataException(
            $"{classes.Source}: {WeightsPath} holds no logit_scale; give the text embeddings as a .safetensors holding 'logit_scale'" +
            (head.Scores == ZeroShotScores.Sigmoid ? " and 'logit_bias'" : "") + " beside the rows (the values of the full model's checkpoint)");
        float? bias = head.Scores != ZeroShotScores.Sigmoid ? null : classes.LogitBias ?? head.LogitBias ?? throw new InvalidDataException(
            $"{classes.Source}: {WeightsPath} holds no logit_bias; give the text embeddings as a .safetensors holding 'logit_scale' and 'logit_bias' beside the rows");
        if (!float.IsFinite(MathF.Exp(scale)))
            throw new InvalidDataException($"{classes.Source}: exp(logit_scale) of {scale.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not finite");
        var weights = Network.Weights.ShallowCopy();
        weights.ZeroShot = new ZeroShotWeights(classes.Embeddings, classes.Classes, classes.Dim, scale, bias);
        return new LoadedModel
        {
            Network = new VisionTransformer(config, weights) { Backend = Network.Backend, Buffers = Network.Buffers },
            Preprocessing = Preprocessing, ClassNames = classes.Labels.ToArray(), Layout = Layout, WeightsPath = WeightsPath,
            ConfigSource = ConfigSource + $"; classes from {classes.Source}", ImageText = ImageText,
        };
    }

    /// <summary>The name of class <paramref name="index"/>, or "class N" when the checkpoint names none or the index is out of range.</summary>
    public string ClassName(int index) =>
        ClassNames != null && index >= 0 && index < ClassNames.Length ? ClassNames[index] : $"class {index}";

    /// <summary>
    /// A class given as an index ("207") or a name: the full name, or one of its comma-separated synonyms
    /// ("tabby" for "tabby, tabby cat"), case-insensitive. Ambiguous names are an error listing the candidates.
    /// </summary>
    public int ResolveClass(string text)
    {
        int k = Config.NumClasses;
        string t = text.Trim();
        if (int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            return index < k ? index : throw new ArgumentException($"class {index} is outside the model's {k} classes (0..{k - 1})");
        if (ClassNames == null) throw new ArgumentException($"class '{t}': the model names no classes, give an index 0..{k - 1}");
        var exact = Enumerable.Range(0, ClassNames.Length).Where(i => string.Equals(ClassNames[i], t, StringComparison.OrdinalIgnoreCase)).ToList();
        if (exact.Count == 1) return exact[0];
        var synonym = Enumerable.Range(0, ClassNames.Length)
            .Where(i => ClassNames[i].Split(',').Any(s => string.Equals(s.Trim(), t, StringComparison.OrdinalIgnoreCase))).ToList();
        if (exact.Count == 0 && synonym.Count == 1) return synonym[0];
        var candidates = exact.Count > 0 ? exact : synonym;
        if (candidates.Count == 0) throw new ArgumentException($"class '{t}' is not one of the model's class names (give an index 0..{k - 1})");
        throw new ArgumentException($"class '{t}' is ambiguous: {string.Join(", ", candidates.Select(i => $"{i} ({ClassNames[i]})"))}; give the index");
    }

    /// <summary>Number of parameters (float32 values) in the weights.</summary>
    public long ParameterCount => Network.Weights.Named().Sum(p => (long)p.Data.Length);
}

/// <summary>Command-line overrides of what a checkpoint's config says (null = keep).</summary>
public sealed record ModelOverrides
{
    /// <summary>Attention heads per block (<see cref="VitConfig.NumHeads"/>), positive; the one field shapes cannot tell.</summary>
    public int? Heads { get; init; }
    /// <summary>
    /// Square input size in pixels, a positive multiple of the patch size. The model is loaded at its own size, then
    /// its position embeddings are resampled to this one (see <see cref="PosEmbedInterpolation"/>).
    /// </summary>
    public int? ImageSize { get; init; }
    /// <summary>Patch size in pixels (<see cref="VitConfig.PatchSize"/>), positive.</summary>
    public int? PatchSize { get; init; }
    /// <summary>LayerNorm epsilon, inside <see cref="VitConfig.LayerNormEpsRange"/>.</summary>
    public float? LayerNormEps { get; init; }
    /// <summary>Per-channel normalisation mean, RGB, inside <see cref="Preprocessing.MeanRange"/>.</summary>
    public float[]? Mean { get; init; }
    /// <summary>Per-channel normalisation std, RGB, inside <see cref="Preprocessing.StdRange"/>.</summary>
    public float[]? Std { get; init; }
    /// <summary>Crop (timm) or squash (Hugging Face) resizing.</summary>
    public ResizeMode? Resize { get; init; }
    /// <summary>Resampling filter name, one of <see cref="Preprocessing.Interpolations"/>.</summary>
    public string? Interpolation { get; init; }
    /// <summary>Share of the resized image the centre crop keeps, inside <see cref="Preprocessing.CropPctRange"/>.</summary>
    public double? CropPct { get; init; }
    /// <summary>
    /// How <see cref="ImageSize"/> resamples the position embeddings; null = plain bicubic (PyTorch
    /// <c>F.interpolate(mode='bicubic', align_corners=False)</c>, A = −0.75), as transformers does.
    /// </summary>
    public PositionEmbeddingInterpolation? PosEmbedInterpolation { get; init; }
    /// <summary>Resample the position embeddings the way the checkpoint's own library does (overrides <see cref="PosEmbedInterpolation"/>).</summary>
    public bool PosEmbedInterpolationOfLibrary { get; init; }
    /// <summary>
    /// The memory the model may use and the pass it will run, checked before any weight is read; null = a forward
    /// pass at batch 1 within the machine's memory (<see cref="ModelMemory.AvailableBytes"/>).
    /// </summary>
    public MemoryBudget? Memory { get; init; }
    /// <summary>For an image-text model (CLIP): the classes to score, as text embeddings; null = load the image encoder alone.</summary>
    public ZeroShotClasses? ZeroShot { get; init; }
}
