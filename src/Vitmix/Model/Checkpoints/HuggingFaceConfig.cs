using Vitmix.Data;
namespace Vitmix.Model.Checkpoints;

/// <summary>
/// A Hugging Face transformers ViTConfig config.json (configuration_vit.py; missing fields take ViTConfig's defaults,
/// layer_norm_eps 1e-12) with the ViTImageProcessor preprocessing: squash-resize, bilinear, mean/std 0.5, unless a
/// preprocessor_config.json beside it says otherwise. Also Dinov2Config and Dinov2WithRegistersConfig
/// (configuration_dinov2.py, configuration_dinov2_with_registers.py: patch 14, mlp_ratio, layerscale_value,
/// num_register_tokens, layer_norm_eps 1e-6), whose classifier reads the class token and the patch mean, and whose
/// processor crops to 224 while the position embeddings are stored for image_size 518 (<see cref="PartialConfig.RunImageSize"/>).
/// </summary>
internal static class HuggingFaceConfig
{
    public static bool Looks(JsonFields f) =>
        f.Has("model_type") || f.Has("hidden_size") || f.Has("architectures") || f.Has("num_attention_heads");

    public static PartialConfig Read(JsonFields f, string fileName, string? preprocessorPath)
    {
        string? modelType = f.String("model_type");
        if (modelType is "dinov2" or "dinov2_with_registers") return ReadDinov2(f, fileName, preprocessorPath, modelType == "dinov2_with_registers");
        bool beit = modelType is "beit" or "data2vec-vision";
        if (modelType != null && modelType != "vit" && !beit)
            throw f.Error($"Hugging Face model_type '{modelType}' is not supported (only 'vit', 'dinov2', 'dinov2_with_registers', 'beit' and 'data2vec-vision')");
        string act = f.String("hidden_act") ?? "gelu";
        // "gelu" is the exact erf GELU the engine runs; the tanh approximations would change the outputs
        if (act != "gelu") throw f.Error($"hidden_act '{act}' is not supported (only 'gelu', the exact erf form)");

        var p = new PartialConfig
        {
            Origin = fileName + " (Hugging Face)",
            EmbedDim = f.Int("hidden_size") ?? 768,
            Depth = f.Int("num_hidden_layers") ?? 12,
            NumHeads = f.Int("num_attention_heads") ?? 12,
            MlpHidden = f.Int("intermediate_size") ?? 3072,
            PatchSize = f.Int("patch_size") ?? 16,
            InChannels = f.Int("num_channels") ?? 3,
            QkvBias = f.Bool("qkv_bias") ?? true,
            LayerNormEps = (float)(f.Double("layer_norm_eps") ?? 1e-12),
            ClassToken = true, Distilled = false, RegisterTokens = 0, LayerScale = false,
            Pool = GlobalPool.Token, FcNorm = false, NoEmbedClass = false,
            Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f],
            Resize = ResizeMode.Squash, Interpolation = "bilinear", CropPct = 1.0,
        };
        if (beit)
        {
            // BeitConfig / Data2VecVisionConfig (configuration_beit.py, configuration_data2vec_vision.py): relative
            // position bias per layer or shared, absolute positions optional, LayerScale when layer_scale_init_value > 0,
            // mean pooling with the pooler's layernorm (timm's fc_norm) or the class token after the final layernorm.
            p.Origin = fileName + (modelType == "beit" ? " (Hugging Face BEiT)" : " (Hugging Face data2vec-vision)");
            p.Family = modelType == "beit" ? "BEiT" : "data2vec-vision";
            p.QvBias = true;
            p.AbsolutePositionEmbedding = f.Bool("use_absolute_position_embeddings") ?? false;
            p.RelativePositionBias = f.Bool("use_relative_position_bias") ?? false;
            p.SharedRelativePositionBias = f.Bool("use_shared_relative_position_bias") ?? false;
            p.LayerScale = (f.Double("layer_scale_init_value") ?? 0.1) > 0;
            bool mean = f.Bool("use_mean_pooling") ?? true;
            p.Pool = mean ? GlobalPool.Average : GlobalPool.Token;
            p.FcNorm = mean;
            p.PatchSize = f.Int("patch_size") ?? 16;
        }
        var img = f.Size("image_size") ?? (224, 224);
        p.ImageHeight = img.H;
        p.ImageWidth = img.W;
        if (f.Child("id2label") is { } labels) p.ClassNames = IndexedNames.FromObject(labels);
        if (p.ClassNames != null) p.NumClasses = p.ClassNames.Length;
        if (preprocessorPath != null) ReadPreprocessor(preprocessorPath, p);
        return p;
    }

    /// <summary>Dinov2Config / Dinov2WithRegistersConfig, with the defaults of their configuration files.</summary>
    static PartialConfig ReadDinov2(JsonFields f, string fileName, string? preprocessorPath, bool registers)
    {
        string act = f.String("hidden_act") ?? "gelu";
        if (act != "gelu") throw f.Error($"hidden_act '{act}' is not supported (only 'gelu', the exact erf form)");
        if (f.Bool("use_swiglu_ffn") == true) throw f.Error("unsupported DINOv2 variant: use_swiglu_ffn=true (a gated MLP, the giant model)");
        int dim = f.Int("hidden_size") ?? 768;
        double ratio = f.Double("mlp_ratio") ?? 4;
        bool classifier = f.Get("architectures") is { ValueKind: System.Text.Json.JsonValueKind.Array } arch
            && arch.EnumerateArray().Any(a => a.ValueKind == System.Text.Json.JsonValueKind.String && a.GetString()!.EndsWith("ForImageClassification", StringComparison.Ordinal));
        var p = new PartialConfig
        {
            Origin = fileName + (registers ? " (Hugging Face DINOv2 with registers)" : " (Hugging Face DINOv2)"),
            Family = "DINOv2",
            EmbedDim = dim,
            Depth = f.Int("num_hidden_layers") ?? 12,
            NumHeads = f.Int("num_attention_heads") ?? 12,
            MlpRatio = ratio,
            PatchSize = f.Int("patch_size") ?? 14,
            InChannels = f.Int("num_channels") ?? 3,
            QkvBias = f.Bool("qkv_bias") ?? true,
            LayerNormEps = (float)(f.Double("layer_norm_eps") ?? 1e-6),
            ClassToken = true, Distilled = false, LayerScale = true, FcNorm = false,
            RegisterTokens = registers ? f.Int("num_register_tokens") ?? 4 : 0,
            // with registers the class token's position row is folded into it on load (HuggingFaceDinov2KeyLayout)
            NoEmbedClass = registers,
            // Dinov2ForImageClassification: classifier(cat(cls, mean of patch tokens)); the bare model pools the class token
            Pool = classifier ? GlobalPool.ClassAndPatchMean : GlobalPool.Token,
            // BitImageProcessor defaults: resize the shorter side to 256 (bicubic), centre-crop 224, ImageNet statistics
            Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
            Resize = ResizeMode.Crop, Interpolation = "bicubic", CropPct = 224.0 / 256.0,
        };
        var img = f.Size("image_size") ?? (224, 224);
        p.ImageHeight = img.H;
        p.ImageWidth = img.W;
        if (f.Child("id2label") is { } labels) p.ClassNames = IndexedNames.FromObject(labels);
        if (p.ClassNames != null) p.NumClasses = p.ClassNames.Length;
        int run = 224;
        if (preprocessorPath != null)
        {
            ReadPreprocessor(preprocessorPath, p);
            using var doc = JsonFields.ParseFile(preprocessorPath);
            var pf = new JsonFields(doc.RootElement, preprocessorPath);
            run = (pf.Bool("do_center_crop") == true ? SizeOf(pf, "crop_size") : SizeOf(pf, "size")) ?? run;
        }
        if (run != img.H || run != img.W) p.RunImageSize = run;
        return p;
    }

    /// <summary>preprocessor_config.json (ViTImageProcessor / ViTFeatureExtractor / DeiTImageProcessor fields).</summary>
    static void ReadPreprocessor(string path, PartialConfig p)
    {
        using var doc = JsonFields.ParseFile(path);
        var f = new JsonFields(doc.RootElement, path);
        if (f.Bool("do_normalize") == false) { p.Mean = [0f, 0f, 0f]; p.Std = [1f, 1f, 1f]; }
        else
        {
            p.Mean = f.Floats("image_mean", 3) ?? p.Mean;
            p.Std = f.Floats("image_std", 3) ?? p.Std;
        }
        if (f.Int("resample") is { } resample)
        {
            // PIL resampling codes: NEAREST 0, BILINEAR 2, BICUBIC 3
            p.Interpolation = resample switch
            {
                0 => "nearest", 2 => "bilinear", 3 => "bicubic",
                _ => throw f.Error($"resample {resample} is not supported (0 nearest, 2 bilinear, 3 bicubic)"),
            };
        }
        if (f.Bool("do_center_crop") == true)
        {
            // resize then centre-crop: the timm crop with crop_pct = crop / resize
            double resize = SizeOf(f, "size") ?? throw f.Error("do_center_crop needs \"size\"");
            double crop = SizeOf(f, "crop_size") ?? throw f.Error("do_center_crop needs \"crop_size\"");
            p.Resize = ResizeMode.Crop;
            p.CropPct = crop / resize;
        }
        p.Origin = p.Origin + " + " + Path.GetFileName(path);
    }

    /// <summary>A processor size: an int, {height, width} (the height is used) or {shortest_edge}.</summary>
    static int? SizeOf(JsonFields f, string name)
    {
        if (f.Get(name) is not { } v) return null;
        if (v.ValueKind == System.Text.Json.JsonValueKind.Number) return f.Int(name);
        var c = f.Child(name)!.Value;
        return c.Int("shortest_edge") ?? c.Int("height") ?? throw f.Bad(name, v, "an integer, {height, width} or {shortest_edge}");
    }
}
