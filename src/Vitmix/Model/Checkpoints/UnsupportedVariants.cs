namespace Vitmix.Model.Checkpoints;

/// <summary>
/// ViT variants whose extra tensors change the forward graph in ways <see cref="VisionTransformer"/> does not run
/// (timm vision_transformer.py flags). Recognised by key so the error names the variant instead of listing keys.
/// </summary>
internal static class UnsupportedVariants
{
    static readonly (string KeyPart, string Variant)[] Markers =
    [
        ("norm_pre.", "a LayerNorm before the blocks (timm pre_norm / norm_pre, e.g. CLIP)"),
        (".attn.q_norm.", "per-head query/key normalisation (timm qk_norm)"),
        (".attn.k_norm.", "per-head query/key normalisation (timm qk_norm)"),
        ("attn_pool.", "an attention-pooling head (timm global_pool='map')"),
        (".attn.norm.", "a norm inside attention (timm scale_attn_norm)"),
        (".mlp.w12.", "a gated MLP (SwiGLU) in EVA's original layout (load timm's conversion, which names it mlp.fc1 or mlp.fc1_g / fc1_x)"),
        (".mlp.ffn_ln.", "EVA's MLP sub-LN in EVA's original layout (load timm's conversion, which names it mlp.norm)"),
        ("pre_logits.", "a pre-logits representation layer (representation_size)"),
        ("patch_embed.norm.", "a norm after the patch embedding"),
        ("patch_embed.backbone.", "a hybrid CNN patch embedding (ViT-ResNet hybrid)"),
        ("head.fc.", "a multi-layer classifier head"),
        ("rope.", "rotary position embeddings"),
    ];

    /// <summary>Throws naming the first unsupported variant found (a checkpoint without a classifier loads as a feature model, <see cref="VitConfig.FeatureHead"/>).</summary>
    public static void ThrowIfUnsupported(CanonicalStateDict state, string path)
    {
        foreach (var name in state.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            foreach (var (part, variant) in Markers)
            {
                if (name.StartsWith(part, StringComparison.Ordinal) || (part[0] == '.' && name.Contains(part, StringComparison.Ordinal)))
                    throw new InvalidDataException(
                        $"{path}: unsupported ViT variant: {variant} (key '{state.SourceName(name)}'); Vitmix runs the standard pre-norm ViT/DeiT");
            }
        }
    }
}
