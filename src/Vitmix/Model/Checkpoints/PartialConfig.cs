using Vitmix.Data;
namespace Vitmix.Model.Checkpoints;

/// <summary>
/// What one config source says about a model; null = this source is silent on it. Sources are merged field by
/// field in priority order (overrides, config.json, architecture table, safetensors metadata, tensor shapes).
/// </summary>
internal sealed class PartialConfig
{
    /// <summary>Where these values come from, for <see cref="LoadedModel.ConfigSource"/>.</summary>
    public required string Origin { get; set; }

    public int? ImageHeight, ImageWidth, PatchSize, InChannels, EmbedDim, Depth, NumHeads, MlpHidden, NumClasses, RegisterTokens;
    public double? MlpRatio;
    public bool? QkvBias, ClassToken, Distilled, LayerScale, FcNorm, NoEmbedClass, FeatureHead;
    public bool? AbsolutePositionEmbedding, RelativePositionBias, SharedRelativePositionBias, QvBias;
    public bool? GatedMlp, MlpNorm, RotaryPositionEmbedding;
    /// <summary>The rotary embedding's reference grid (timm ref_feat_shape); 0 for none.</summary>
    public int? RopeReferenceHeight, RopeReferenceWidth;
    /// <summary>The input size the checkpoint's library runs the model at when it differs from the stored grid (a Hugging Face DINOv2 processor's crop, 224 for position embeddings stored at 518).</summary>
    public int? RunImageSize;
    /// <summary>The family the source names ("DINOv2"), for <see cref="ModelFamily"/>.</summary>
    public string? Family;
    public float? LayerNormEps;
    public GlobalPool? Pool;

    public float[]? Mean, Std;
    public double? CropPct;
    public string? Interpolation;
    public ResizeMode? Resize;

    public string[]? ClassNames;

    /// <summary>Sets both image sides.</summary>
    public int? ImageSize { set { ImageHeight = value; ImageWidth = value; } }

    /// <summary>Copies every field of a full config (the architecture table's entries).</summary>
    public static PartialConfig FromFull(string origin, VitConfig c, Preprocessing p) => new()
    {
        Origin = origin,
        ImageHeight = c.ImageHeight, ImageWidth = c.ImageWidth, PatchSize = c.PatchSize, InChannels = c.InChannels,
        EmbedDim = c.EmbedDim, Depth = c.Depth, NumHeads = c.NumHeads, MlpHidden = c.MlpHidden, QkvBias = c.QkvBias,
        ClassToken = c.ClassToken, Distilled = c.Distilled, RegisterTokens = c.RegisterTokens, LayerScale = c.LayerScale,
        Pool = c.Pool, FcNorm = c.FcNorm, NoEmbedClass = c.NoEmbedClass,
        AbsolutePositionEmbedding = c.AbsolutePositionEmbedding, RelativePositionBias = c.RelativePositionBias,
        SharedRelativePositionBias = c.SharedRelativePositionBias, QvBias = c.QvBias,
        GatedMlp = c.GatedMlp, MlpNorm = c.MlpNorm, RotaryPositionEmbedding = c.RotaryPositionEmbedding,
        RopeReferenceHeight = c.RopeReferenceHeight, RopeReferenceWidth = c.RopeReferenceWidth,
        Mean = p.Mean, Std = p.Std, CropPct = p.CropPct, Interpolation = p.Interpolation, Resize = p.Resize,
    };
}
