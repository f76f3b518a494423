namespace Vitmix.Model;

/// <summary>
/// The family a loaded model belongs to, in words for <c>vitmix info</c>: the name its config or architecture gives
/// (DINOv2, DeiT III, MAE, ...), or what the architecture shows (ViT, DeiT), with its registers, its readout when it
/// is not the class token, a missing classifier, and the checkpoint layout.
/// </summary>
public static class ModelFamily
{
    /// <summary>The family named by a timm architecture name ("vit_small_patch14_reg4_dinov2.lvd142m"), or null.</summary>
    public static string? FromArchitecture(string? name)
    {
        if (name == null) return null;
        string n = name.ToLowerInvariant();
        if (n.Contains("dinov2", StringComparison.Ordinal)) return "DINOv2";
        if (n.StartsWith("eva02", StringComparison.Ordinal)) return "EVA-02";
        if (n.EndsWith(".mae", StringComparison.Ordinal) || n.Contains("_mae", StringComparison.Ordinal)) return "MAE";
        if (n.StartsWith("deit3", StringComparison.Ordinal)) return "DeiT III";
        if (n.StartsWith("beitv2", StringComparison.Ordinal)) return "BEiT v2";
        if (n.StartsWith("beit", StringComparison.Ordinal)) return "BEiT";
        if (n.StartsWith("deit", StringComparison.Ordinal)) return "DeiT";
        return null;
    }

    /// <summary>One line: "DINOv2 with 4 registers (timm layout)", "ViT, patch-mean readout, no classifier (Hugging Face layout)".</summary>
    public static string Describe(string? family, VitConfig c, CheckpointLayout layout)
    {
        string name = family ?? (c.Distilled ? "DeiT (distilled)" : "ViT");
        var parts = new List<string> { c.RegisterTokens > 0 ? $"{name} with {c.RegisterTokens} registers" : name };
        if (c.Pool == GlobalPool.Average) parts.Add("patch-mean readout");
        if (c.Pool == GlobalPool.ClassAndPatchMean) parts.Add("class token + patch-mean readout");
        if (c.RelativePositionBias || c.SharedRelativePositionBias) parts.Add(c.SharedRelativePositionBias ? "shared relative position bias" : "relative position bias");
        if (c.RotaryPositionEmbedding) parts.Add("rotary position embedding");
        if (c.GatedMlp) parts.Add(c.MlpNorm ? "SwiGLU MLP with sub-LayerNorm" : "SwiGLU MLP");
        if (c.FeatureHead) parts.Add("no classifier (outputs are features)");
        string where = layout switch
        {
            CheckpointLayout.HuggingFace => "Hugging Face layout",
            CheckpointLayout.Torchvision => "torchvision layout",
            _ => "timm layout",
        };
        return $"{string.Join(", ", parts)} ({where})";
    }
}
