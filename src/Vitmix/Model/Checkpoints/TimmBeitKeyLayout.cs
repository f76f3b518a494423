namespace Vitmix.Model.Checkpoints;

/// <summary>
/// timm's BEiT names (beit.py): timm's ViT names but LayerScale as <c>blocks.N.gamma_1</c> / <c>gamma_2</c> (timm's
/// ls1.gamma / ls2.gamma); <c>attn.q_bias</c>, <c>attn.v_bias</c> and <c>attn.relative_position_bias_table</c> keep
/// their names. The <c>relative_position_index</c> buffers (int64) are skipped: the index follows from the grid.
/// </summary>
internal sealed class TimmBeitKeyLayout : KeyLayout
{
    public override CheckpointLayout Kind => CheckpointLayout.Timm;
    public override string Description => "timm BEiT";

    public override CanonicalPart? ToCanonical(string key) =>
        new CanonicalPart(key.Replace(".gamma_1", ".ls1.gamma", StringComparison.Ordinal).Replace(".gamma_2", ".ls2.gamma", StringComparison.Ordinal), 0, 1);

    public override string[] FromCanonical(string canonical) =>
        [canonical.Replace(".ls1.gamma", ".gamma_1", StringComparison.Ordinal).Replace(".ls2.gamma", ".gamma_2", StringComparison.Ordinal)];

    public override bool IsIgnored(string key) => key.EndsWith(".relative_position_index", StringComparison.Ordinal);

    /// <summary>Whether the keys are timm BEiT's.</summary>
    public static bool Looks(IReadOnlyCollection<string> keys) =>
        keys.Contains("blocks.0.gamma_1") || keys.Contains("blocks.0.attn.q_bias") || keys.Contains("blocks.0.attn.relative_position_bias_table")
        || keys.Contains("rel_pos_bias.relative_position_bias_table");
}
