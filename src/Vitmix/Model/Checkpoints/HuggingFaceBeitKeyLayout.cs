namespace Vitmix.Model.Checkpoints;

/// <summary>
/// Hugging Face transformers BEiT names (modeling_beit.py; BeitForImageClassification under "beit.",
/// Data2VecVisionForImageClassification under "data2vec_vision.", the bare models without a prefix): separate
/// query/key/value weights stack into timm's qkv; the query and value biases are timm BEiT's q_bias and v_bias (the
/// key has none); lambda_1/lambda_2 are LayerScale; the relative position bias table is per layer
/// (attention.attention.relative_position_bias) or shared (encoder.relative_position_bias); with mean pooling the
/// pooler's layernorm is timm's fc_norm, otherwise the model's layernorm is timm's norm. The int64
/// relative_position_index buffers are skipped: the index follows from the grid.
/// </summary>
internal sealed class HuggingFaceBeitKeyLayout : RuleKeyLayout
{
    readonly string prefix;

    public HuggingFaceBeitKeyLayout(string prefix)
    {
        this.prefix = prefix;
        string e = prefix + "embeddings.", l = prefix + "encoder.layer.{i}.", a = l + "attention.attention.";
        Rule("cls_token", e + "cls_token");
        Rule("pos_embed", e + "position_embeddings");
        Rule("blocks.{i}.attn.qkv.weight", a + "query.weight", a + "key.weight", a + "value.weight");
        Rule("blocks.{i}.attn.q_bias", a + "query.bias");
        Rule("blocks.{i}.attn.v_bias", a + "value.bias");
        Rule("blocks.{i}.attn.relative_position_bias_table", a + "relative_position_bias.relative_position_bias_table");
        Rule("rel_pos_bias.relative_position_bias_table", prefix + "encoder.relative_position_bias.relative_position_bias_table");
        Rule("blocks.{i}.ls1.gamma", l + "lambda_1");
        Rule("blocks.{i}.ls2.gamma", l + "lambda_2");
        foreach (var wb in new[] { "weight", "bias" })
        {
            Rule("patch_embed.proj." + wb, e + "patch_embeddings.projection." + wb);
            Rule("blocks.{i}.norm1." + wb, l + "layernorm_before." + wb);
            Rule("blocks.{i}.attn.proj." + wb, l + "attention.output.dense." + wb);
            Rule("blocks.{i}.norm2." + wb, l + "layernorm_after." + wb);
            Rule("blocks.{i}.mlp.fc1." + wb, l + "intermediate.dense." + wb);
            Rule("blocks.{i}.mlp.fc2." + wb, l + "output.dense." + wb);
            Rule("norm." + wb, prefix + "layernorm." + wb);
            Rule("fc_norm." + wb, prefix + "pooler.layernorm." + wb);
            Rule("head." + wb, "classifier." + wb);
        }
    }

    public override CheckpointLayout Kind => CheckpointLayout.HuggingFace;

    public override string Description => prefix == "data2vec_vision." ? "Hugging Face Data2VecVision" : "Hugging Face BEiT";

    public override bool IsIgnored(string key) =>
        key == prefix + "embeddings.mask_token" || key.EndsWith(".relative_position_index", StringComparison.Ordinal);

    /// <summary>The layout of a file whose keys look like a Hugging Face BEiT or data2vec-vision (a key projection without a bias), or null.</summary>
    public static HuggingFaceBeitKeyLayout? Find(IReadOnlyCollection<string> keys)
    {
        foreach (var p in new[] { "beit.", "data2vec_vision.", "" })
        {
            string a = p + "encoder.layer.0.attention.attention.";
            if (keys.Contains(a + "key.weight") && !keys.Contains(a + "key.bias") && keys.Contains(p + "encoder.layer.0.layernorm_before.weight"))
                return new HuggingFaceBeitKeyLayout(p);
        }
        return null;
    }
}
