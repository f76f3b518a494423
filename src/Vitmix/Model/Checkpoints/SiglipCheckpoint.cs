using System.Globalization;
using Vitmix.Data;
using Vitmix.Layers;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// Loads the image encoder of a SigLIP checkpoint (Zhai et al. 2023) in the Hugging Face layout (transformers'
/// SiglipModel: vision_model.embeddings, encoder.layers.N, post_layernorm, head = SiglipMultiheadAttentionPoolingHead,
/// top-level logit_scale and logit_bias) or timm's (vit_*_siglip_*: pos_embed, blocks.N, norm, attn_pool, no head) into
/// timm's names: no class token, patch embedding with bias, GELU tanh, final norm, attention-pool readout
/// (<see cref="AttentionPool"/>). SigLIP has no image projection: the pooled token is the image embedding, so the head
/// is the identity. Heads, activation, epsilon and preprocessing come from config.json (transformers' SiglipConfig
/// vision_config and preprocessor_config.json, or timm's architecture, model_args and pretrained_cfg).
/// </summary>
internal static class SiglipCheckpoint
{
    internal enum Layout { HuggingFace, Timm }

    /// <summary>The SigLIP layout of a checkpoint's keys, or null.</summary>
    public static Layout? Detect(IReadOnlyCollection<string> keys)
    {
        if (keys.Contains("vision_model.head.probe") && keys.Contains("vision_model.embeddings.patch_embedding.weight")) return Layout.HuggingFace;
        if (keys.Contains("attn_pool.latent") && keys.Contains("patch_embed.proj.weight") && !keys.Contains("cls_token")) return Layout.Timm;
        return null;
    }

    static string Describe(Layout layout) => layout == Layout.HuggingFace ? "Hugging Face layout" : "timm layout";

    public static LoadedModel Load(SafeTensorsFile file, Layout layout, string weightsPath, ModelOverrides? overrides, MemoryBudget budget, int? requestedSize)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(weightsPath))!;
        bool hf = layout == Layout.HuggingFace;
        string patchKey = hf ? "vision_model.embeddings.patch_embedding" : "patch_embed.proj";
        string positionsKey = hf ? "vision_model.embeddings.position_embedding.weight" : "pos_embed";
        string Block(int i) => hf ? $"vision_model.encoder.layers.{i}." : $"blocks.{i}.";
        string pool = hf ? "vision_model.head." : "attn_pool.";

        long[] Shape(string key) => file.TryGet(key, out var info) ? info.Shape
            : throw new InvalidDataException($"{weightsPath}: SigLIP checkpoint ({Describe(layout)}) has no '{key}'");
        var conv = Shape(patchKey + ".weight");
        if (conv.Length != 4 || conv[2] != conv[3]) throw new InvalidDataException($"{weightsPath}: {patchKey}.weight is [{string.Join(", ", conv)}], expected (width, 3, patch, patch)");
        int d = checked((int)conv[0]), channels = checked((int)conv[1]), patch = checked((int)conv[2]);
        long positions = Shape(positionsKey) switch { [var n, _] => n, [1, var n, _] => n, var s => throw new InvalidDataException($"{weightsPath}: {positionsKey} is [{string.Join(", ", s)}], expected (tokens, width)") };
        int grid = (int)Math.Round(Math.Sqrt(positions));
        if ((long)grid * grid != positions) throw new InvalidDataException($"{weightsPath}: {positions} position embeddings are not a square grid (SigLIP has no class token)");
        var keys = file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        int depth = 0;
        while (keys.Contains(Block(depth) + "mlp.fc1.weight")) depth++;
        if (depth == 0) throw new InvalidDataException($"{weightsPath}: no transformer block '{Block(0)}mlp.fc1.weight'");
        int mlp = checked((int)Shape(Block(0) + "mlp.fc1.weight")[0]);

        var read = ReadConfig(layout, folder, d, weightsPath);
        int heads = overrides?.Heads ?? read.Heads ?? throw new InvalidDataException($"{weightsPath}: the number of attention heads is unknown: {read.Missing}; give the number of heads");
        var config = new VitConfig
        {
            ImageHeight = grid * patch, ImageWidth = grid * patch, PatchSize = patch, InChannels = channels, EmbedDim = d, Depth = depth,
            NumHeads = heads, MlpHidden = mlp, NumClasses = d, QkvBias = true, LayerNormEps = overrides?.LayerNormEps ?? read.Eps,
            ClassToken = false, Pool = GlobalPool.Map, Activation = read.Activation,
        };
        var prep = TowerTensors.CheckedSetting(config, read.Preprocessing, overrides, requestedSize, budget, weightsPath);

        var t = new TowerTensors(file, weightsPath);
        t.Copy("patch_embed.proj.weight", patchKey + ".weight", d, channels, patch, patch);
        t.Copy("patch_embed.proj.bias", patchKey + ".bias", d);
        t.Copy("pos_embed", positionsKey, 1, config.NumTokens, d);
        for (int l = 0; l < depth; l++)
        {
            string s = Block(l), p = $"blocks.{l}.";
            foreach (var (a, b) in hf ? new[] { ("norm1", "layer_norm1"), ("norm2", "layer_norm2"), ("attn.proj", "self_attn.out_proj"), ("mlp.fc1", "mlp.fc1"), ("mlp.fc2", "mlp.fc2") }
                                      : new[] { ("norm1", "norm1"), ("norm2", "norm2"), ("attn.proj", "attn.proj"), ("mlp.fc1", "mlp.fc1"), ("mlp.fc2", "mlp.fc2"), ("attn.qkv", "attn.qkv") })
            {
                int rows = a switch { "mlp.fc1" => mlp, "attn.qkv" => 3 * d, _ => d };
                int cols = a switch { "mlp.fc2" => mlp, _ => d };
                if (a.StartsWith("norm", StringComparison.Ordinal)) t.Copy(p + a + ".weight", s + b + ".weight", d);
                else t.Copy(p + a + ".weight", s + b + ".weight", rows, cols);
                t.Copy(p + a + ".bias", s + b + ".bias", rows);
            }
            if (hf) ClipCheckpoint.ReadSplitQkv(t, s, p, d);
        }
        string post = hf ? "vision_model.post_layernorm" : "norm";
        t.Copy("norm.weight", post + ".weight", d);
        t.Copy("norm.bias", post + ".bias", d);
        t.Copy("attn_pool.latent", pool + (hf ? "probe" : "latent"), 1, 1, d);
        if (hf)
        {
            // nn.MultiheadAttention's in_proj rows q, k, v: timm's q is the first third, kv the rest (k rows, then v)
            var w = t.Read(pool + "attention.in_proj_weight", 3L * d * d);
            var b = t.Read(pool + "attention.in_proj_bias", 3L * d);
            if (w != null) { t.Put("attn_pool.q.weight", w[..(d * d)], d, d); t.Put("attn_pool.kv.weight", w[(d * d)..], 2 * d, d); }
            if (b != null) { t.Put("attn_pool.q.bias", b[..d], d); t.Put("attn_pool.kv.bias", b[d..], 2 * d); }
        }
        else
        {
            t.Copy("attn_pool.q.weight", "attn_pool.q.weight", d, d);
            t.Copy("attn_pool.q.bias", "attn_pool.q.bias", d);
            t.Copy("attn_pool.kv.weight", "attn_pool.kv.weight", 2 * d, d);
            t.Copy("attn_pool.kv.bias", "attn_pool.kv.bias", 2 * d);
        }
        string proj = pool + (hf ? "attention.out_proj" : "proj"), norm = pool + (hf ? "layernorm" : "norm");
        t.Copy("attn_pool.proj.weight", proj + ".weight", d, d);
        t.Copy("attn_pool.proj.bias", proj + ".bias", d);
        t.Copy("attn_pool.norm.weight", norm + ".weight", d);
        t.Copy("attn_pool.norm.bias", norm + ".bias", d);
        t.Copy("attn_pool.mlp.fc1.weight", pool + "mlp.fc1.weight", mlp, d);
        t.Copy("attn_pool.mlp.fc1.bias", pool + "mlp.fc1.bias", mlp);
        t.Copy("attn_pool.mlp.fc2.weight", pool + "mlp.fc2.weight", d, mlp);
        t.Copy("attn_pool.mlp.fc2.bias", pool + "mlp.fc2.bias", d);
        // SigLIP has no image projection: the head is the identity, so the pooled token is the embedding
        var identity = new float[d * d];
        for (int i = 0; i < d; i++) identity[i * d + i] = 1f;
        t.Put("head.weight", identity, d, d);
        t.Put("head.bias", new float[d], d);
        float? scale = null, bias = null;
        if (hf)
        {
            scale = t.Scalar("logit_scale") ?? throw new InvalidDataException($"{weightsPath}: SigLIP checkpoint has no 'logit_scale'");
            bias = t.Scalar("logit_bias") ?? throw new InvalidDataException($"{weightsPath}: SigLIP checkpoint has no 'logit_bias'");
            if (!float.IsFinite(scale.Value) || !float.IsFinite(MathF.Exp(scale.Value)))
                throw new InvalidDataException($"{weightsPath}: logit_scale is {scale.Value.ToString(CultureInfo.InvariantCulture)}; exp(logit_scale) must be finite");
            if (!float.IsFinite(bias.Value)) throw new InvalidDataException($"{weightsPath}: logit_bias is {bias.Value.ToString(CultureInfo.InvariantCulture)}, expected a finite value");
        }
        bool Tower(string key) => !hf || key.StartsWith("vision_model.", StringComparison.Ordinal) && !key.EndsWith("position_ids", StringComparison.Ordinal);
        var state = t.Finish(Tower, $"SigLIP checkpoint ({Describe(layout)}) does not fit {config}");
        var weights = VitWeights.FromStateDict(config, state, weightsPath);
        string sizeName = d switch { 768 => "ViT-B", 1024 => "ViT-L", 1152 => "ViT-SO400M", 384 => "ViT-S", _ => null } is { } named ? $"{named}/{patch}" : $"ViT (width {d}, patch {patch})";
        return new LoadedModel
        {
            Network = new VisionTransformer(config, weights),
            Preprocessing = prep,
            Layout = hf ? CheckpointLayout.HuggingFace : CheckpointLayout.Timm,
            WeightsPath = weightsPath,
            ConfigSource = read.Source,
            ImageText = new ImageTextHead($"SigLIP {sizeName} image encoder ({Describe(layout)})", ZeroShotScores.Sigmoid, d, scale, bias,
                hf ? "logit_scale and logit_bias in the checkpoint" : "a timm image tower holds neither logit_scale nor logit_bias: give them beside the text embeddings"),
        };
    }

    sealed record SiglipConfig(int? Heads, string Missing, MlpActivation Activation, float Eps, Preprocessing Preprocessing, string Source);

    static SiglipConfig ReadConfig(Layout layout, string folder, int width, string weightsPath)
    {
        // SiglipImageProcessor: squash to the size, bicubic, mean and std 0.5
        var prep = new Preprocessing { Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f], CropPct = 1.0, Interpolation = "bicubic", Resize = ResizeMode.Squash };
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
            return new(null, "there is no config.json beside the weights", MlpActivation.GeluTanh, 1e-6f, prep, "tensor shapes");
        using var doc = JsonFields.ParseFile(path);
        var f = new JsonFields(doc.RootElement, path);
        if (layout == Layout.HuggingFace)
        {
            var v = f.Child("vision_config") ?? f;
            if (v.Int("hidden_size") is int w && w != width) throw v.Error($"hidden_size is {w}, the weights are {width} wide");
            string act = v.String("hidden_act") ?? "gelu_pytorch_tanh";
            var activation = act switch
            {
                "gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" => MlpActivation.GeluTanh,
                "gelu" => MlpActivation.Gelu,
                "quick_gelu" => MlpActivation.QuickGelu,
                _ => throw v.Error($"hidden_act '{act}' is not supported (gelu_pytorch_tanh, gelu, quick_gelu)"),
            };
            string pre = Path.Combine(folder, "preprocessor_config.json");
            if (File.Exists(pre))
            {
                using var pd = JsonFields.ParseFile(pre);
                var pf = new JsonFields(pd.RootElement, pre);
                prep = prep with
                {
                    Mean = pf.Floats("image_mean", 3) ?? prep.Mean, Std = pf.Floats("image_std", 3) ?? prep.Std,
                    Interpolation = pf.Int("resample") switch { 2 => "bilinear", 3 => "bicubic", 0 => "nearest", 1 => "lanczos", _ => prep.Interpolation },
                };
            }
            return new(v.Int("num_attention_heads"), $"{Path.GetFileName(path)} has no vision_config.num_attention_heads", activation,
                (float)(v.Double("layer_norm_eps") ?? 1e-6), prep, "config.json (SiglipConfig vision_config); tensor shapes");
        }
        string architecture = f.String("architecture") ?? "";
        var args = f.Child("model_args");
        int? heads = args?.Int("num_heads") ?? (width % 64 == 0 ? width / 64 : null);
        var activationName = args?.String("act_layer") ?? "gelu_tanh";
        var timmActivation = activationName switch
        {
            "gelu_tanh" => MlpActivation.GeluTanh,
            "gelu" => MlpActivation.Gelu,
            "quick_gelu" => MlpActivation.QuickGelu,
            _ => throw f.Error($"model_args.act_layer '{activationName}' is not supported (gelu_tanh, gelu, quick_gelu)"),
        };
        if ((f.Child("pretrained_cfg") ?? f) is { } p)
            prep = prep with
            {
                Mean = p.Floats("mean", 3) ?? prep.Mean, Std = p.Floats("std", 3) ?? prep.Std,
                CropPct = p.Double("crop_pct") ?? prep.CropPct, Interpolation = p.String("interpolation") ?? prep.Interpolation,
                Resize = ResizeMode.Crop,
            };
        return new(heads, $"{Path.GetFileName(path)} has no model_args.num_heads", timmActivation, 1e-6f, prep, $"config.json (timm {architecture}); tensor shapes");
    }
}
