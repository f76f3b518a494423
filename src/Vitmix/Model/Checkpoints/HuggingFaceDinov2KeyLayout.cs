using Vitmix.Engine;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// Hugging Face transformers DINOv2 names (modeling_dinov2.py, modeling_dinov2_with_registers.py):
/// Dinov2ForImageClassification under "dinov2.", Dinov2WithRegistersForImageClassification under
/// "dinov2_with_registers.", the bare models without a prefix. Separate query/key/value stack into timm's qkv;
/// layer_scale1/2.lambda1 are timm's ls1/ls2.gamma; the final layernorm is timm's norm; the classifier (over 2·D,
/// class token and patch mean) is head.
/// <para>
/// With registers, the stored position embedding covers the class token and the patches but not the registers
/// (they are inserted after it is added). As timm's <c>_convert_dinov2</c> does, the class token's row is folded into
/// the class token and the rest is a no_embed_class embedding (<see cref="ToTimm"/>): the same sums, and the prefix
/// tokens then all sit before the patch embedding.
/// </para>
/// </summary>
internal sealed class HuggingFaceDinov2KeyLayout : RuleKeyLayout
{
    readonly string prefix;

    public HuggingFaceDinov2KeyLayout(string prefix, bool registers)
    {
        this.prefix = prefix;
        Registers = registers;
        string e = prefix + "embeddings.", l = prefix + "encoder.layer.{i}.";
        Rule("cls_token", e + "cls_token");
        Rule("reg_token", e + "register_tokens");
        Rule("pos_embed", e + "position_embeddings");
        Rule("blocks.{i}.ls1.gamma", l + "layer_scale1.lambda1");
        Rule("blocks.{i}.ls2.gamma", l + "layer_scale2.lambda1");
        foreach (var wb in new[] { "weight", "bias" })
        {
            Rule("patch_embed.proj." + wb, e + "patch_embeddings.projection." + wb);
            Rule("blocks.{i}.norm1." + wb, l + "norm1." + wb);
            Rule("blocks.{i}.attn.qkv." + wb,
                l + "attention.attention.query." + wb, l + "attention.attention.key." + wb, l + "attention.attention.value." + wb);
            Rule("blocks.{i}.attn.proj." + wb, l + "attention.output.dense." + wb);
            Rule("blocks.{i}.norm2." + wb, l + "norm2." + wb);
            Rule("blocks.{i}.mlp.fc1." + wb, l + "mlp.fc1." + wb);
            Rule("blocks.{i}.mlp.fc2." + wb, l + "mlp.fc2." + wb);
            Rule("norm." + wb, prefix + "layernorm." + wb);
            Rule("head." + wb, "classifier." + wb);
        }
    }

    /// <summary>Whether the checkpoint has register tokens (dinov2_with_registers).</summary>
    public bool Registers { get; }

    public override CheckpointLayout Kind => CheckpointLayout.HuggingFace;

    public override string Description => Registers ? "Hugging Face Dinov2WithRegisters" : "Hugging Face Dinov2";

    /// <summary>The masked-image-modelling token is not part of the classification path.</summary>
    public override bool IsIgnored(string key) => key == prefix + "embeddings.mask_token";

    /// <summary>With registers the file's position embedding has the class token's row too.</summary>
    public override int[] SourceShape(string canonical, int[] timmShape) =>
        Registers && canonical == "pos_embed" ? [timmShape[0], timmShape[1] + 1, timmShape[2]] : timmShape;

    /// <summary>cls_token += pos_embed[0]; pos_embed = pos_embed[1:] (timm's _convert_dinov2 for registers).</summary>
    public override void ToTimm(Dictionary<string, Tensor> state)
    {
        if (!Registers || !state.TryGetValue("pos_embed", out var pos) || !state.TryGetValue("cls_token", out var cls)) return;
        int rows = pos.Dim(1), d = pos.Dim(2);
        for (int j = 0; j < d; j++) cls.Data[j] += pos.Data[j];
        state["pos_embed"] = new Tensor(pos.Data.AsSpan(d, (rows - 1) * d).ToArray(), 1, rows - 1, d);
    }

    /// <summary>The layout of a file whose keys look like a Hugging Face DINOv2, or null.</summary>
    public static HuggingFaceDinov2KeyLayout? Find(IReadOnlyCollection<string> keys)
    {
        foreach (var p in new[] { "dinov2_with_registers.", "dinov2.", "" })
        {
            if (!keys.Contains(p + "embeddings.patch_embeddings.projection.weight")) continue;
            bool dinov2 = keys.Contains(p + "encoder.layer.0.layer_scale1.lambda1") || keys.Contains(p + "encoder.layer.0.norm1.weight");
            if (dinov2) return new HuggingFaceDinov2KeyLayout(p, keys.Contains(p + "embeddings.register_tokens"));
        }
        return null;
    }
}
