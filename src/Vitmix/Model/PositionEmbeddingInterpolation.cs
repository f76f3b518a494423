namespace Vitmix.Model;

/// <summary>
/// How a checkpoint's own library resizes a learned position embedding to another patch grid. The three libraries
/// whose key names Vitmix reads each call bicubic <c>F.interpolate</c> differently, and the flavours give different
/// numbers even when upsampling. Vitmix uses plain <see cref="Bicubic"/> unless asked otherwise
/// (<c>--pos-embed-interpolation</c>; <c>library</c> follows the checkpoint's layout, <see cref="PositionEmbeddingInterpolations.For"/>).
/// </summary>
public enum PositionEmbeddingInterpolation
{
    /// <summary>
    /// timm <c>resample_abs_pos_embed(..., interpolation='bicubic', antialias=True)</c>, its default and the one
    /// <c>checkpoint_filter_fn</c> uses: PyTorch's anti-aliased bicubic (PIL's kernel, Keys a = −0.5).
    /// </summary>
    AntialiasedBicubic,

    /// <summary>
    /// Hugging Face transformers <c>ViTEmbeddings.interpolate_pos_encoding</c>: plain
    /// <c>F.interpolate(mode='bicubic', align_corners=False)</c> (a = −0.75, border-clamped taps).
    /// </summary>
    Bicubic,

    /// <summary>
    /// torchvision <c>interpolate_embeddings</c>: <c>F.interpolate(mode='bicubic', align_corners=True)</c>, so the
    /// corner patches of the old and new grids coincide.
    /// </summary>
    BicubicAlignCorners,

    /// <summary>
    /// DINOv2's own interpolation, as transformers' <c>Dinov2Embeddings.interpolate_pos_encoding</c> (modeling_dinov2.py
    /// at commit 158e70c) and the original DINOv2/DINO code run it: plain bicubic (a = −0.75, align_corners=False) with
    /// <c>scale_factor = (new + 0.1) / old</c> instead of a size, so source coordinates are mapped with old / (new + 0.1)
    /// (the "+ 0.1" offset of facebookresearch/dino issue 8), not old / new.
    /// </summary>
    BicubicScaleOffset,
}

/// <summary>The <see cref="PositionEmbeddingInterpolation"/> each checkpoint library uses, and how it is named in messages.</summary>
public static class PositionEmbeddingInterpolations
{
    /// <summary>The flavour the library that wrote checkpoints of <paramref name="layout"/> uses.</summary>
    public static PositionEmbeddingInterpolation For(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.Timm => PositionEmbeddingInterpolation.AntialiasedBicubic,
        CheckpointLayout.HuggingFace => PositionEmbeddingInterpolation.Bicubic,
        CheckpointLayout.Torchvision => PositionEmbeddingInterpolation.BicubicAlignCorners,
        // open_clip's resize_pos_embed: F.interpolate(mode='bicubic', align_corners=False)
        CheckpointLayout.OpenClip => PositionEmbeddingInterpolation.Bicubic,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown checkpoint layout"),
    };

    /// <summary>What the flavour is called in the library, for messages.</summary>
    public static string Describe(this PositionEmbeddingInterpolation interpolation) => interpolation switch
    {
        PositionEmbeddingInterpolation.AntialiasedBicubic => "bicubic, antialiased as timm",
        PositionEmbeddingInterpolation.Bicubic => "bicubic, align_corners=False as transformers",
        PositionEmbeddingInterpolation.BicubicAlignCorners => "bicubic, align_corners=True as torchvision",
        PositionEmbeddingInterpolation.BicubicScaleOffset => "bicubic with DINOv2's +0.1 scale offset",
        _ => interpolation.ToString(),
    };
}
