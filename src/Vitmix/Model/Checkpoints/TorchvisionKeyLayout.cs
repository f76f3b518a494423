namespace Vitmix.Model.Checkpoints;

/// <summary>
/// torchvision VisionTransformer names (vision_transformer.py): in_proj_weight packs q, k, v like timm's qkv;
/// the MLP is mlp.0 / mlp.3 (legacy checkpoints: mlp.linear_1 / mlp.linear_2).
/// </summary>
internal sealed class TorchvisionKeyLayout : RuleKeyLayout
{
    public TorchvisionKeyLayout()
    {
        const string l = "encoder.layers.encoder_layer_{i}.";
        Rule("cls_token", "class_token");
        Rule("pos_embed", "encoder.pos_embedding");
        Rule("blocks.{i}.attn.qkv.weight", l + "self_attention.in_proj_weight");
        Rule("blocks.{i}.attn.qkv.bias", l + "self_attention.in_proj_bias");
        foreach (var wb in new[] { "weight", "bias" })
        {
            Rule("patch_embed.proj." + wb, "conv_proj." + wb);
            Rule("blocks.{i}.norm1." + wb, l + "ln_1." + wb);
            Rule("blocks.{i}.attn.proj." + wb, l + "self_attention.out_proj." + wb);
            Rule("blocks.{i}.norm2." + wb, l + "ln_2." + wb);
            Rule("blocks.{i}.mlp.fc1." + wb, l + "mlp.0." + wb);
            Rule("blocks.{i}.mlp.fc1." + wb, l + "mlp.linear_1." + wb);
            Rule("blocks.{i}.mlp.fc2." + wb, l + "mlp.3." + wb);
            Rule("blocks.{i}.mlp.fc2." + wb, l + "mlp.linear_2." + wb);
            Rule("norm." + wb, "encoder.ln." + wb);
            Rule("head." + wb, "heads.head." + wb);
            // representation_size models: mapped only so the variant check can name it
            Rule("pre_logits." + wb, "heads.pre_logits." + wb);
        }
    }

    public override CheckpointLayout Kind => CheckpointLayout.Torchvision;
    public override string Description => "torchvision";
}
