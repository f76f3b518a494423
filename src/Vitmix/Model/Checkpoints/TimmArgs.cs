using Vitmix.Data;
using System.Globalization;
using System.Text.Json;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// timm's VisionTransformer keyword arguments (img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio, qkv_bias,
/// num_classes, class_token, global_pool, reg_tokens, no_embed_class, init_values, fc_norm) as found in a hub
/// config.json's model_args or a safetensors "config" metadata entry, plus the pretrained_cfg preprocessing fields.
/// </summary>
internal static class TimmArgs
{
    /// <summary>Reads the model arguments present in <paramref name="f"/> into <paramref name="into"/>.</summary>
    public static void ReadModelArgs(JsonFields f, PartialConfig into)
    {
        if (f.Size("img_size") is { } img) { into.ImageHeight = img.H; into.ImageWidth = img.W; }
        if (f.Size("patch_size") is { } patch)
        {
            if (patch.H != patch.W) throw f.Error($"non-square patch size {patch.H}x{patch.W} is not supported");
            into.PatchSize = patch.H;
        }
        into.InChannels = f.Int("in_chans") ?? into.InChannels;
        into.EmbedDim = f.Int("embed_dim") ?? into.EmbedDim;
        into.Depth = f.Int("depth") ?? into.Depth;
        into.NumHeads = f.Int("num_heads") ?? into.NumHeads;
        into.MlpRatio = f.Double("mlp_ratio") ?? into.MlpRatio;
        into.MlpHidden = f.Int("mlp_hidden") ?? into.MlpHidden;
        into.NumClasses = f.Int("num_classes") ?? into.NumClasses;
        into.QkvBias = f.Bool("qkv_bias") ?? into.QkvBias;
        into.ClassToken = f.Bool("class_token") ?? into.ClassToken;
        into.RegisterTokens = f.Int("reg_tokens") ?? into.RegisterTokens;
        into.NoEmbedClass = f.Bool("no_embed_class") ?? into.NoEmbedClass;
        into.FcNorm = f.Bool("fc_norm") ?? into.FcNorm;
        into.Distilled = f.Bool("distilled") ?? into.Distilled;
        // BEiT (beit.py): use_abs_pos_emb, use_rel_pos_bias, use_shared_rel_pos_bias
        into.AbsolutePositionEmbedding = f.Bool("use_abs_pos_emb") ?? into.AbsolutePositionEmbedding;
        into.RelativePositionBias = f.Bool("use_rel_pos_bias") ?? into.RelativePositionBias;
        into.SharedRelativePositionBias = f.Bool("use_shared_rel_pos_bias") ?? into.SharedRelativePositionBias;
        // EVA-02 (eva.py): swiglu_mlp, scale_mlp (the MLP's sub-LN), use_rot_pos_emb with ref_feat_shape; qkv_fused
        // only changes the key names (the layout reads both)
        into.GatedMlp = f.Bool("swiglu_mlp") ?? into.GatedMlp;
        into.MlpNorm = f.Bool("scale_mlp") ?? into.MlpNorm;
        into.RotaryPositionEmbedding = f.Bool("use_rot_pos_emb") ?? into.RotaryPositionEmbedding;
        if (f.Size("ref_feat_shape") is { } reference)
        {
            into.RopeReferenceHeight = reference.H;
            into.RopeReferenceWidth = reference.W;
        }
        foreach (var flag in new[] { "scale_attn_inner", "use_post_norm" })
            if (f.Bool(flag) == true) throw f.Error($"unsupported EVA variant: {flag}=true");
        if (f.Double("layer_norm_eps") is { } eps) into.LayerNormEps = (float)eps;
        // init_values enables LayerScale (its value only initialises γ, which the checkpoint then overwrites)
        if (f.Object.TryGetProperty("init_values", out var iv))
            into.LayerScale = iv.ValueKind == JsonValueKind.Number ? true : iv.ValueKind == JsonValueKind.Null ? false : throw f.Bad("init_values", iv, "a number or null");
        if (f.String("global_pool") is { } pool) into.Pool = ParsePool(pool, f);
        foreach (var flag in new[] { "pre_norm", "qk_norm" })
            if (f.Bool(flag) == true) throw f.Error($"unsupported ViT variant: {flag}=true");
    }

    /// <summary>Reads pretrained_cfg-style preprocessing fields (input_size, mean, std, crop_pct, interpolation, crop_mode).</summary>
    public static void ReadPreprocessing(JsonFields f, PartialConfig into)
    {
        if (f.Get("input_size") is { } input)
        {
            if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() != 3 || input.EnumerateArray().Any(e => !e.TryGetInt32(out _)))
                throw f.Bad("input_size", input, "[channels, height, width]");
            into.InChannels ??= input[0].GetInt32();
            into.ImageHeight ??= input[1].GetInt32();
            into.ImageWidth ??= input[2].GetInt32();
        }
        into.Mean = f.Floats("mean", 3) ?? into.Mean;
        into.Std = f.Floats("std", 3) ?? into.Std;
        into.CropPct = f.Double("crop_pct") ?? into.CropPct;
        if (f.String("interpolation") is { } interp) into.Interpolation = ParseInterpolation(interp, f.Where);
        if (f.String("crop_mode") is { } mode)
        {
            into.Resize = mode switch
            {
                "center" => ResizeMode.Crop,
                "squash" => ResizeMode.Squash,
                _ => throw f.Error($"crop_mode '{mode}' is not supported (expected 'center' or 'squash')"),
            };
        }
    }

    public static GlobalPool ParsePool(string pool, JsonFields f) => pool switch
    {
        "token" => GlobalPool.Token,
        "avg" => GlobalPool.Average,
        // not a timm value: how Vitmix saves Hugging Face DINOv2's class-token-and-patch-mean classifier input
        "token+avg" => GlobalPool.ClassAndPatchMean,
        _ => throw f.Error($"unsupported ViT variant: global_pool '{pool}' (supported: 'token', 'avg')"),
    };

    public static string ParseInterpolation(string interp, string where) => Preprocessing.Interpolations.Contains(interp)
        ? interp
        : throw new InvalidDataException($"{where}: interpolation '{interp}' is not supported (expected {string.Join(", ", Preprocessing.Interpolations)})");

    /// <summary>timm-style arguments describing <paramref name="c"/>, as <see cref="SafeTensorsWriter.WriteModel"/> stores them.</summary>
    public static void Write(Utf8JsonWriter w, VitConfig c)
    {
        if (c.ImageHeight == c.ImageWidth) w.WriteNumber("img_size", c.ImageHeight);
        else { w.WriteStartArray("img_size"); w.WriteNumberValue(c.ImageHeight); w.WriteNumberValue(c.ImageWidth); w.WriteEndArray(); }
        w.WriteNumber("patch_size", c.PatchSize);
        w.WriteNumber("in_chans", c.InChannels);
        w.WriteNumber("embed_dim", c.EmbedDim);
        w.WriteNumber("depth", c.Depth);
        w.WriteNumber("num_heads", c.NumHeads);
        w.WriteNumber("num_classes", c.NumClasses);
        w.WriteNumber("mlp_ratio", (double)c.MlpHidden / c.EmbedDim);
        w.WriteNumber("mlp_hidden", c.MlpHidden);
        w.WriteBoolean("qkv_bias", c.QkvBias);
        w.WriteBoolean("class_token", c.ClassToken);
        w.WriteString("global_pool", c.Pool switch { GlobalPool.Token => "token", GlobalPool.Average => "avg", _ => "token+avg" });
        w.WriteNumber("reg_tokens", c.RegisterTokens);
        w.WriteBoolean("no_embed_class", c.NoEmbedClass);
        if (c.LayerScale) w.WriteNumber("init_values", 1e-6); else w.WriteNull("init_values");
        w.WriteBoolean("fc_norm", c.FcNorm);
        w.WriteBoolean("distilled", c.Distilled);
        // EVA-02's flags, only when set (the rotary embedding leaves no tensor a reload could infer it from)
        if (c.GatedMlp) w.WriteBoolean("swiglu_mlp", true);
        if (c.MlpNorm) w.WriteBoolean("scale_mlp", true);
        if (c.RotaryPositionEmbedding)
        {
            w.WriteBoolean("use_rot_pos_emb", true);
            // no reference grid (unscaled positions) is written as the model's own grid, as timm would build it
            w.WriteStartArray("ref_feat_shape");
            w.WriteNumberValue(c.RopeReferenceHeight > 0 ? c.RopeReferenceHeight : c.GridHeight);
            w.WriteNumberValue(c.RopeReferenceWidth > 0 ? c.RopeReferenceWidth : c.GridWidth);
            w.WriteEndArray();
        }
        // written in round-trip form so a reloaded model uses bit-identical eps
        w.WritePropertyName("layer_norm_eps");
        w.WriteRawValue(c.LayerNormEps.ToString("R", CultureInfo.InvariantCulture));
    }
}
