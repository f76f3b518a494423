using System.Text.RegularExpressions;

namespace Vitmix.Tests.Model.Checkpoints;

/// <summary>
/// Hand-written renamings of a timm state dict into the Hugging Face and torchvision layouts, following the key
/// tables of formats.md §4 and §5 (written independently of the loader's own rules).
/// </summary>
public static class LayoutRenames
{
    public static Dictionary<string, (int[] Shape, float[] Data)> ToHuggingFace(Dictionary<string, (int[] Shape, float[] Data)> timm, string prefix = "vit.")
    {
        var hf = new Dictionary<string, (int[], float[])>();
        foreach (var (name, t) in timm)
        {
            var m = Regex.Match(name, @"^blocks\.(\d+)\.(.+)$");
            if (m.Success)
            {
                string l = $"{prefix}encoder.layer.{m.Groups[1].Value}.";
                string rest = m.Groups[2].Value;
                if (rest.StartsWith("attn.qkv."))
                {
                    // rows [0, D) = query, [D, 2D) = key, [2D, 3D) = value
                    string wb = rest["attn.qkv.".Length..];
                    int rows = t.Shape[0] / 3, cols = t.Data.Length / t.Shape[0];
                    string[] parts = ["query", "key", "value"];
                    for (int p = 0; p < 3; p++)
                    {
                        var shape = (int[])t.Shape.Clone();
                        shape[0] = rows;
                        hf[$"{l}attention.attention.{parts[p]}.{wb}"] = (shape, t.Data[(p * rows * cols)..((p + 1) * rows * cols)]);
                    }
                    continue;
                }
                string mapped = rest
                    .Replace("norm1.", "layernorm_before.").Replace("norm2.", "layernorm_after.")
                    .Replace("attn.proj.", "attention.output.dense.").Replace("mlp.fc1.", "intermediate.dense.").Replace("mlp.fc2.", "output.dense.");
                hf[l + mapped] = t;
                continue;
            }
            string key = name switch
            {
                "cls_token" => prefix + "embeddings.cls_token",
                "pos_embed" => prefix + "embeddings.position_embeddings",
                "patch_embed.proj.weight" => prefix + "embeddings.patch_embeddings.projection.weight",
                "patch_embed.proj.bias" => prefix + "embeddings.patch_embeddings.projection.bias",
                "norm.weight" => prefix + "layernorm.weight",
                "norm.bias" => prefix + "layernorm.bias",
                "head.weight" => "classifier.weight",
                "head.bias" => "classifier.bias",
                _ => throw new ArgumentException("no HF name for " + name),
            };
            hf[key] = t;
        }
        return hf;
    }

    public static Dictionary<string, (int[] Shape, float[] Data)> ToTorchvision(Dictionary<string, (int[] Shape, float[] Data)> timm, bool legacyMlpNames = false)
    {
        var tv = new Dictionary<string, (int[], float[])>();
        foreach (var (name, t) in timm)
        {
            var m = Regex.Match(name, @"^blocks\.(\d+)\.(.+)$");
            if (m.Success)
            {
                string l = $"encoder.layers.encoder_layer_{m.Groups[1].Value}.";
                string rest = m.Groups[2].Value switch
                {
                    "attn.qkv.weight" => "self_attention.in_proj_weight",
                    "attn.qkv.bias" => "self_attention.in_proj_bias",
                    var r => r.Replace("norm1.", "ln_1.").Replace("norm2.", "ln_2.").Replace("attn.proj.", "self_attention.out_proj.")
                        .Replace("mlp.fc1.", legacyMlpNames ? "mlp.linear_1." : "mlp.0.").Replace("mlp.fc2.", legacyMlpNames ? "mlp.linear_2." : "mlp.3."),
                };
                tv[l + rest] = t;
                continue;
            }
            string key = name switch
            {
                "cls_token" => "class_token",
                "pos_embed" => "encoder.pos_embedding",
                "patch_embed.proj.weight" => "conv_proj.weight",
                "patch_embed.proj.bias" => "conv_proj.bias",
                "norm.weight" => "encoder.ln.weight",
                "norm.bias" => "encoder.ln.bias",
                "head.weight" => "heads.head.weight",
                "head.bias" => "heads.head.bias",
                _ => throw new ArgumentException("no torchvision name for " + name),
            };
            tv[key] = t;
        }
        return tv;
    }
}
