namespace Vitmix.Model.Checkpoints;

/// <summary>
/// Hugging Face transformers ViTForImageClassification names (prefix "vit.") or bare ViTModel names (no prefix),
/// per modeling_vit.py / convert_vit_timm_to_pytorch.py: separate query/key/value linears stack into timm's qkv.
/// </summary>
internal sealed class HuggingFaceKeyLayout : RuleKeyLayout
{
    readonly string prefix;

    public HuggingFaceKeyLayout(string prefix)
    {
        this.prefix = prefix;
        string e = prefix + "embeddings.", l = prefix + "encoder.layer.{i}.";
        Rule("cls_token", e + "cls_token");
        Rule("pos_embed", e + "position_embeddings");
        foreach (var wb in new[] { "weight", "bias" })
        {
            Rule("patch_embed.proj." + wb, e + "patch_embeddings.projection." + wb);
            Rule("blocks.{i}.norm1." + wb, l + "layernorm_before." + wb);
            Rule("blocks.{i}.attn.qkv." + wb,
                l + "attention.attention.query." + wb, l + "attention.attention.key." + wb, l + "attention.attention.value." + wb);
            Rule("blocks.{i}.attn.proj." + wb, l + "attention.output.dense." + wb);
            Rule("blocks.{i}.norm2." + wb, l + "layernorm_after." + wb);
            Rule("blocks.{i}.mlp.fc1." + wb, l + "intermediate.dense." + wb);
            Rule("blocks.{i}.mlp.fc2." + wb, l + "output.dense." + wb);
            Rule("norm." + wb, prefix + "layernorm." + wb);
            Rule("head." + wb, "classifier." + wb);
        }
    }

    public override CheckpointLayout Kind => CheckpointLayout.HuggingFace;

    public override string Description => prefix.Length > 0 ? "Hugging Face ViTForImageClassification" : "Hugging Face ViTModel";

    /// <summary>The masked-image-modelling token and the pooler are not part of the classification path.</summary>
    public override bool IsIgnored(string key) =>
        key == prefix + "embeddings.mask_token" || key.StartsWith(prefix + "pooler.", StringComparison.Ordinal);
}
