using System.Text.RegularExpressions;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// timm's EVA names (eva.py) where they differ from its ViT's: with qkv_fused=False (EVA-02 base and large) the
/// projections are <c>attn.q_proj</c>, <c>attn.k_proj</c> (no bias) and <c>attn.v_proj</c>, stacked into timm's qkv rows,
/// their biases timm BEiT's <c>q_bias</c> and <c>v_bias</c>; the split SwiGLU's <c>mlp.fc1_g</c> and <c>mlp.fc1_x</c> stack
/// into one fc1 of gate rows then value rows (GluMlp's packed order, gate_last=False); LayerScale is <c>gamma_1</c> /
/// <c>gamma_2</c>. The rotary embedding's buffers (<c>rope.*</c>) are skipped: they follow from the grid, as
/// checkpoint_filter_fn skips them. The fused tiny and small models keep timm's qkv and packed fc1 names, with BEiT's
/// q_bias and v_bias.
/// </summary>
internal sealed class TimmEvaKeyLayout(bool fusedQkv, bool packedFc1) : KeyLayout
{
    static readonly Regex Split = new(@"^(blocks\.[0-9]+\.)(attn\.(q|k|v)_proj|mlp\.fc1_(g|x))\.(weight|bias)$", RegexOptions.CultureInvariant);

    public override CheckpointLayout Kind => CheckpointLayout.Timm;
    public override string Description => "timm EVA";

    public override CanonicalPart? ToCanonical(string key)
    {
        var m = Split.Match(key);
        if (!m.Success)
            return new CanonicalPart(key.Replace(".gamma_1", ".ls1.gamma", StringComparison.Ordinal).Replace(".gamma_2", ".ls2.gamma", StringComparison.Ordinal), 0, 1);
        string block = m.Groups[1].Value, wb = m.Groups[5].Value;
        if (m.Groups[3].Success)
        {
            string part = m.Groups[3].Value;
            if (wb == "bias") return part == "k" ? null : new CanonicalPart($"{block}attn.{part}_bias", 0, 1);
            return new CanonicalPart(block + "attn.qkv.weight", "qkv".IndexOf(part[0]), 3);
        }
        return new CanonicalPart($"{block}mlp.fc1.{wb}", m.Groups[4].Value == "g" ? 0 : 1, 2);
    }

    public override string[] FromCanonical(string canonical)
    {
        var m = Regex.Match(canonical, @"^(blocks\.[0-9]+\.)(attn\.qkv\.weight|attn\.(q|v)_bias|mlp\.fc1\.(weight|bias))$", RegexOptions.CultureInvariant);
        if (!m.Success) return [canonical.Replace(".ls1.gamma", ".gamma_1", StringComparison.Ordinal).Replace(".ls2.gamma", ".gamma_2", StringComparison.Ordinal)];
        string block = m.Groups[1].Value;
        if (m.Groups[3].Success) return [fusedQkv ? canonical : $"{block}attn.{m.Groups[3].Value}_proj.bias"];
        if (m.Groups[4].Success) return packedFc1 ? [canonical] : [$"{block}mlp.fc1_g.{m.Groups[4].Value}", $"{block}mlp.fc1_x.{m.Groups[4].Value}"];
        return fusedQkv ? [canonical] : [block + "attn.q_proj.weight", block + "attn.k_proj.weight", block + "attn.v_proj.weight"];
    }

    public override bool IsIgnored(string key) => key.StartsWith("rope.", StringComparison.Ordinal);

    /// <summary>
    /// The layout of timm EVA keys (split projections, split SwiGLU, or BEiT's q_bias with an absolute position embedding
    /// and no relative position bias table), or null.
    /// </summary>
    public static TimmEvaKeyLayout? Find(IReadOnlyCollection<string> keys)
    {
        bool split = keys.Contains("blocks.0.attn.q_proj.weight") || keys.Contains("blocks.0.mlp.fc1_g.weight");
        bool fusedWithQv = keys.Contains("blocks.0.attn.q_bias") && keys.Contains("pos_embed")
            && !keys.Contains("blocks.0.attn.relative_position_bias_table") && !keys.Contains("rel_pos_bias.relative_position_bias_table");
        return split || fusedWithQv
            ? new TimmEvaKeyLayout(keys.Contains("blocks.0.attn.qkv.weight"), keys.Contains("blocks.0.mlp.fc1.weight")) : null;
    }
}
