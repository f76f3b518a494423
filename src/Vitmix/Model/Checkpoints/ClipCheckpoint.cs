using System.Globalization;
using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Model.Checkpoints;

/// <summary>The key naming of a CLIP image encoder.</summary>
internal enum ClipLayout
{
    /// <summary>OpenAI's CLIP as open_clip holds it (visual.conv1, visual.transformer.resblocks.N, visual.proj).</summary>
    OpenAi,
    /// <summary>transformers' CLIPModel (vision_model.*, visual_projection).</summary>
    HuggingFace,
    /// <summary>timm's vit_*_clip_* image tower (norm_pre, head as the projection; _convert_openai_clip's names).</summary>
    Timm,
}

/// <summary>
/// Loads the image encoder of a CLIP checkpoint (Radford et al. 2021) in the OpenAI/open_clip, Hugging Face or timm
/// layout into timm's names, so the network is the ViT of <see cref="VitArchitecture"/> with norm_pre, the final norm
/// on the class token (CLIP's ln_post) and the image projection as its head. The text tower a checkpoint carries is
/// left unread. The sizes come from the tensor shapes; heads, activation, epsilon and preprocessing from the config
/// beside the weights: open_clip_config.json (open_clip hf_hub.py: model_cfg.vision_cfg width/layers/head_width/
/// patch_size, model_cfg.quick_gelu, preprocess_cfg), config.json of transformers' CLIPConfig (vision_config
/// num_attention_heads, hidden_act, layer_norm_eps; preprocessor_config.json) or timm's (architecture,
/// model_args, pretrained_cfg).
/// </summary>
internal static class ClipCheckpoint
{
    /// <summary>OpenAI's image normalisation (open_clip OPENAI_DATASET_MEAN/STD, timm OPENAI_CLIP_MEAN/STD).</summary>
    static readonly float[] OpenAiMean = [0.48145466f, 0.4578275f, 0.40821073f], OpenAiStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>CLIP's trained temperature: OpenAI clamps exp(logit_scale) at 100 and its released models sit there.</summary>
    static readonly float DefaultLogitScale = MathF.Log(100f);

    /// <summary>The CLIP layout of a checkpoint's keys, or null when it is not a CLIP image encoder.</summary>
    public static ClipLayout? Detect(IReadOnlyCollection<string> keys)
    {
        if (keys.Contains("visual.conv1.weight") && keys.Contains("visual.class_embedding")) return ClipLayout.OpenAi;
        if (keys.Contains("vision_model.embeddings.patch_embedding.weight") && keys.Contains("vision_model.embeddings.class_embedding"))
            return ClipLayout.HuggingFace;
        if (keys.Contains("norm_pre.weight") && keys.Contains("cls_token") && keys.Contains("patch_embed.proj.weight") && !keys.Contains("patch_embed.proj.bias"))
            return ClipLayout.Timm;
        return null;
    }

    public static LoadedModel Load(SafeTensorsFile file, ClipLayout layout, string weightsPath, ModelOverrides? overrides, MemoryBudget budget, int? requestedSize)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(weightsPath))!;
        var names = Names(layout);
        var keys = file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

        // Sizes from shapes
        long[] Shape(string key) => file.TryGet(key, out var info) ? info.Shape
            : throw new InvalidDataException($"{weightsPath}: {Describe(layout)} checkpoint has no '{key}'");
        var conv = Shape(names.Patch);
        if (conv.Length != 4 || conv[2] != conv[3]) throw new InvalidDataException($"{weightsPath}: {names.Patch} is [{string.Join(", ", conv)}], expected (width, 3, patch, patch)");
        int d = checked((int)conv[0]), channels = checked((int)conv[1]), patch = checked((int)conv[2]);
        long positions = Shape(names.Positions) switch { [var n, _] => n, [1, var n, _] => n, var s => throw new InvalidDataException($"{weightsPath}: {names.Positions} is [{string.Join(", ", s)}], expected (tokens, width)") };
        int grid = (int)Math.Round(Math.Sqrt(positions - 1));
        if ((long)grid * grid + 1 != positions) throw new InvalidDataException($"{weightsPath}: {positions} position embeddings are not a class token and a square grid");
        int depth = 0;
        while (keys.Contains(names.Block(depth) + names.Fc1 + ".weight")) depth++;
        if (depth == 0) throw new InvalidDataException($"{weightsPath}: no transformer block '{names.Block(0)}{names.Fc1}.weight'");
        int mlp = checked((int)Shape(names.Block(0) + names.Fc1 + ".weight")[0]);
        var projection = Shape(names.Projection);
        if (projection.Length != 2) throw new InvalidDataException($"{weightsPath}: {names.Projection} is [{string.Join(", ", projection)}], expected a matrix");
        int embed = checked((int)(layout == ClipLayout.OpenAi ? projection[1] : projection[0]));

        // Heads, activation, eps, preprocessing from the config beside the weights
        var read = ReadConfig(layout, folder, d, weightsPath);
        int heads = overrides?.Heads ?? read.Heads ?? throw new InvalidDataException(
            $"{weightsPath}: the number of attention heads is unknown: {read.Missing}; give the number of heads");
        var config = new VitConfig
        {
            ImageHeight = grid * patch, ImageWidth = grid * patch, PatchSize = patch, InChannels = channels, EmbedDim = d, Depth = depth,
            NumHeads = heads, MlpHidden = mlp, NumClasses = embed, QkvBias = true, LayerNormEps = overrides?.LayerNormEps ?? read.Eps,
            ClassToken = true, Pool = GlobalPool.Token, PreNorm = true, Activation = read.Activation,
        };
        var prep = TowerTensors.CheckedSetting(config, read.Preprocessing, overrides, requestedSize, budget, weightsPath);

        var state = ReadState(file, layout, names, config, keys, weightsPath);
        var weights = VitWeights.FromStateDict(config, state, weightsPath);

        float scale = DefaultLogitScale;
        string scaleSource = "not in a timm image tower: CLIP's trained exp(logit_scale) = 100";
        if (layout != ClipLayout.Timm)
        {
            if (!file.TryGet("logit_scale", out var info) || info.ElementCount != 1)
                throw new InvalidDataException($"{weightsPath}: {Describe(layout)} checkpoint has no scalar 'logit_scale' (the zero-shot temperature)");
            scale = file.ReadFloats("logit_scale")[0];
            if (!float.IsFinite(scale) || !float.IsFinite(MathF.Exp(scale)))
                throw new InvalidDataException($"{weightsPath}: logit_scale is {scale.ToString(CultureInfo.InvariantCulture)}; exp(logit_scale) must be finite");
            scaleSource = "logit_scale in the checkpoint";
        }
        string family = $"CLIP {SizeName(d, patch)} image encoder ({Describe(layout)})";
        return new LoadedModel
        {
            Network = new VisionTransformer(config, weights),
            Preprocessing = prep,
            ClassNames = null,
            Layout = layout switch { ClipLayout.HuggingFace => CheckpointLayout.HuggingFace, ClipLayout.Timm => CheckpointLayout.Timm, _ => CheckpointLayout.OpenClip },
            WeightsPath = weightsPath,
            ConfigSource = read.Source,
            ImageText = new ImageTextHead(family, ZeroShotScores.Softmax, embed, scale, null, scaleSource),
        };
    }

    static string Describe(ClipLayout layout) => layout switch
    {
        ClipLayout.OpenAi => "OpenAI layout",
        ClipLayout.HuggingFace => "Hugging Face layout",
        _ => "timm layout",
    };

    /// <summary>"ViT-B/16" for the usual widths, else the width.</summary>
    static string SizeName(int d, int patch) => d switch
    {
        192 => "ViT-Ti", 384 => "ViT-S", 768 => "ViT-B", 1024 => "ViT-L", 1280 => "ViT-H", 1664 => "ViT-bigG", _ => null,
    } is { } size ? $"{size}/{patch}" : $"ViT (width {d}, patch {patch})";

    sealed record KeyNames(string Patch, string ClassToken, string Positions, string PreNorm, string PostNorm, string Projection,
        Func<int, string> Block, string Norm1, string Norm2, string Fc1, string Fc2, string OutProj);

    static KeyNames Names(ClipLayout layout) => layout switch
    {
        ClipLayout.OpenAi => new("visual.conv1.weight", "visual.class_embedding", "visual.positional_embedding", "visual.ln_pre", "visual.ln_post",
            "visual.proj", i => $"visual.transformer.resblocks.{i}.", "ln_1", "ln_2", "mlp.c_fc", "mlp.c_proj", "attn.out_proj"),
        ClipLayout.HuggingFace => new("vision_model.embeddings.patch_embedding.weight", "vision_model.embeddings.class_embedding",
            "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm", "vision_model.post_layernorm", "visual_projection.weight",
            i => $"vision_model.encoder.layers.{i}.", "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2", "self_attn.out_proj"),
        _ => new("patch_embed.proj.weight", "cls_token", "pos_embed", "norm_pre", "norm", "head.weight",
            i => $"blocks.{i}.", "norm1", "norm2", "mlp.fc1", "mlp.fc2", "attn.proj"),
    };

    /// <summary>The image tower's tensors under timm's names, read as float32 (non-finite values refused).</summary>
    static Dictionary<string, Tensor> ReadState(SafeTensorsFile file, ClipLayout layout, KeyNames k, VitConfig c, HashSet<string> keys, string path)
    {
        int d = c.EmbedDim;
        var t = new TowerTensors(file, path);
        t.Copy("patch_embed.proj.weight", k.Patch, d, c.InChannels, c.PatchSize, c.PatchSize);
        if (keys.Contains(layout == ClipLayout.Timm ? "patch_embed.proj.bias" : k.Patch.Replace(".weight", ".bias", StringComparison.Ordinal)))
            t.Problem($"{k.Patch} has a bias; CLIP's patch embedding has none");
        t.Put("patch_embed.proj.bias", new float[d], d); // CLIP's conv1 has no bias (timm: bias=not pre_norm)
        t.Copy("cls_token", k.ClassToken, 1, 1, d);
        t.Copy("pos_embed", k.Positions, 1, c.NumTokens, d);
        foreach (var (name, key) in new[] { ("norm_pre", k.PreNorm), ("norm", k.PostNorm) })
        {
            t.Copy(name + ".weight", key + ".weight", d);
            t.Copy(name + ".bias", key + ".bias", d);
        }
        int e = c.NumClasses;
        if (layout == ClipLayout.OpenAi)
        {
            // visual.proj is (D, E), applied as x @ proj: timm's head.weight is its transpose (_convert_openai_clip)
            if (t.Read(k.Projection, (long)d * e) is { } proj)
            {
                var transposed = new float[proj.Length];
                for (int i = 0; i < d; i++) for (int j = 0; j < e; j++) transposed[j * d + i] = proj[i * e + j];
                t.Put("head.weight", transposed, e, d);
            }
        }
        else t.Copy("head.weight", k.Projection, e, d);
        if (layout == ClipLayout.Timm) t.Copy("head.bias", "head.bias", e);
        else t.Put("head.bias", new float[e], e);

        for (int l = 0; l < c.Depth; l++)
        {
            string s = k.Block(l), p = $"blocks.{l}.";
            foreach (var (a, b) in new[] { ("norm1", k.Norm1), ("norm2", k.Norm2) })
            {
                t.Copy(p + a + ".weight", s + b + ".weight", d);
                t.Copy(p + a + ".bias", s + b + ".bias", d);
            }
            if (layout == ClipLayout.HuggingFace) ReadSplitQkv(t, s, p, d);
            else
            {
                string qkv = layout == ClipLayout.OpenAi ? "attn.in_proj_" : "attn.qkv.";
                t.Copy(p + "attn.qkv.weight", s + qkv + "weight", 3 * d, d);
                t.Copy(p + "attn.qkv.bias", s + qkv + "bias", 3 * d);
            }
            t.Copy(p + "attn.proj.weight", s + k.OutProj + ".weight", d, d);
            t.Copy(p + "attn.proj.bias", s + k.OutProj + ".bias", d);
            t.Copy(p + "mlp.fc1.weight", s + k.Fc1 + ".weight", c.MlpHidden, d);
            t.Copy(p + "mlp.fc1.bias", s + k.Fc1 + ".bias", c.MlpHidden);
            t.Copy(p + "mlp.fc2.weight", s + k.Fc2 + ".weight", d, c.MlpHidden);
            t.Copy(p + "mlp.fc2.bias", s + k.Fc2 + ".bias", d);
        }
        return t.Finish(key => IsImageTower(layout, key), $"{Describe(layout)} CLIP checkpoint does not fit {c}");
    }

    /// <summary>transformers' separate q, k and v projections of block prefix <paramref name="s"/>, stacked into timm's fused qkv rows (q, k, v).</summary>
    internal static void ReadSplitQkv(TowerTensors t, string s, string p, int d)
    {
        var w = new float[3 * d * d];
        var bias = new float[3 * d];
        bool complete = true;
        foreach (var (part, i) in new[] { ("q", 0), ("k", 1), ("v", 2) })
        {
            var pw = t.Read($"{s}self_attn.{part}_proj.weight", (long)d * d);
            var pb = t.Read($"{s}self_attn.{part}_proj.bias", d);
            if (pw == null || pb == null) { complete = false; continue; }
            pw.CopyTo(w, i * d * d);
            pb.CopyTo(bias, i * d);
        }
        if (complete) { t.Put(p + "attn.qkv.weight", w, 3 * d, d); t.Put(p + "attn.qkv.bias", bias, 3 * d); }
    }

    /// <summary>Whether a key belongs to the image tower (the text tower, logit_scale and buffers such as position_ids are not read).</summary>
    static bool IsImageTower(ClipLayout layout, string key) => layout switch
    {
        ClipLayout.OpenAi => key.StartsWith("visual.", StringComparison.Ordinal),
        ClipLayout.HuggingFace => (key.StartsWith("vision_model.", StringComparison.Ordinal) && !key.EndsWith("position_ids", StringComparison.Ordinal))
            || key.StartsWith("visual_projection.", StringComparison.Ordinal),
        _ => true,
    };

    sealed record ClipConfig(int? Heads, string Missing, MlpActivation Activation, float Eps, Preprocessing Preprocessing, string Source);

    static ClipConfig ReadConfig(ClipLayout layout, string folder, int width, string weightsPath)
    {
        var openAiPrep = new Preprocessing
        {
            Mean = OpenAiMean, Std = OpenAiStd, CropPct = 1.0, Interpolation = "bicubic", Resize = ResizeMode.Crop,
        };
        switch (layout)
        {
            case ClipLayout.OpenAi:
            {
                string path = Path.Combine(folder, "open_clip_config.json");
                if (!File.Exists(path))
                    // OpenAI's own ViTs use 64-wide heads and QuickGELU (open_clip ViT-B-16-quickgelu.json)
                    return new(width % 64 == 0 ? width / 64 : null, "there is no open_clip_config.json beside the weights and the width is not a multiple of 64",
                        MlpActivation.QuickGelu, 1e-5f, openAiPrep, "tensor shapes; OpenAI CLIP defaults (64-wide heads, QuickGELU), no open_clip_config.json");
                using var doc = JsonFields.ParseFile(path);
                var f = new JsonFields(doc.RootElement, path);
                var model = f.Child("model_cfg") ?? throw f.Error("no model_cfg (an open_clip hub config holds model_cfg and preprocess_cfg)");
                var vision = model.Child("vision_cfg") ?? throw f.Error("model_cfg has no vision_cfg");
                if (vision.Int("width") is int w && w != width) throw f.Error($"vision_cfg.width is {w}, the weights are {width} wide");
                int headWidth = vision.Int("head_width") ?? 64;
                var prep = openAiPrep;
                if (f.Child("preprocess_cfg") is { } p)
                    prep = prep with
                    {
                        Mean = p.Floats("mean", 3) ?? prep.Mean, Std = p.Floats("std", 3) ?? prep.Std,
                        Interpolation = p.String("interpolation") ?? prep.Interpolation,
                        Resize = p.String("resize_mode") == "squash" ? ResizeMode.Squash : ResizeMode.Crop,
                    };
                return new(headWidth > 0 && width % headWidth == 0 ? width / headWidth : null, $"vision_cfg.head_width {headWidth} does not divide the width {width}",
                    model.Bool("quick_gelu") == true ? MlpActivation.QuickGelu : MlpActivation.Gelu, 1e-5f, prep, "open_clip_config.json; tensor shapes");
            }
            case ClipLayout.HuggingFace:
            {
                string path = Path.Combine(folder, "config.json");
                if (!File.Exists(path))
                    return new(null, "there is no config.json beside the weights", MlpActivation.QuickGelu, 1e-5f, openAiPrep, "tensor shapes");
                using var doc = JsonFields.ParseFile(path);
                var f = new JsonFields(doc.RootElement, path);
                var v = f.Child("vision_config") ?? f;
                if (v.Int("hidden_size") is int w && w != width) throw v.Error($"hidden_size is {w}, the weights are {width} wide");
                // CLIPVisionConfig defaults: hidden_act quick_gelu, layer_norm_eps 1e-5
                string act = v.String("hidden_act") ?? "quick_gelu";
                var activation = act switch
                {
                    "quick_gelu" => MlpActivation.QuickGelu,
                    "gelu" => MlpActivation.Gelu,
                    _ => throw v.Error($"hidden_act '{act}' is not supported (quick_gelu, gelu)"),
                };
                float eps = (float)(v.Double("layer_norm_eps") ?? 1e-5);
                var prep = openAiPrep;
                string pre = Path.Combine(folder, "preprocessor_config.json");
                if (File.Exists(pre))
                {
                    using var pd = JsonFields.ParseFile(pre);
                    var pf = new JsonFields(pd.RootElement, pre);
                    prep = prep with { Mean = pf.Floats("image_mean", 3) ?? prep.Mean, Std = pf.Floats("image_std", 3) ?? prep.Std };
                }
                return new(v.Int("num_attention_heads"), $"{Path.GetFileName(path)} has no vision_config.num_attention_heads", activation, eps, prep,
                    "config.json (CLIPConfig vision_config); tensor shapes");
            }
            default:
            {
                string path = Path.Combine(folder, "config.json");
                if (!File.Exists(path))
                    return new(width % 64 == 0 ? width / 64 : null, "there is no config.json beside the weights", MlpActivation.Gelu, 1e-5f, openAiPrep, "tensor shapes");
                using var doc = JsonFields.ParseFile(path);
                var f = new JsonFields(doc.RootElement, path);
                string architecture = f.String("architecture") ?? "";
                var args = f.Child("model_args");
                // timm: vit_*_clip_* models use GELU unless named *_clip_quickgelu_* or given act_layer='quick_gelu'
                bool quick = architecture.Contains("_quickgelu_", StringComparison.Ordinal) || args?.String("act_layer") == "quick_gelu";
                int? heads = args?.Int("num_heads") ?? (architecture.StartsWith("vit_", StringComparison.Ordinal) && width % 64 == 0 ? width / 64 : null);
                var prep = openAiPrep;
                if ((f.Child("pretrained_cfg") ?? f) is { } p)
                    prep = prep with
                    {
                        Mean = p.Floats("mean", 3) ?? prep.Mean, Std = p.Floats("std", 3) ?? prep.Std,
                        CropPct = p.Double("crop_pct") ?? prep.CropPct, Interpolation = p.String("interpolation") ?? prep.Interpolation,
                    };
                return new(heads, $"{Path.GetFileName(path)} has no model_args.num_heads", quick ? MlpActivation.QuickGelu : MlpActivation.Gelu, 1e-5f, prep,
                    $"config.json (timm {architecture}); tensor shapes");
            }
        }
    }
}
