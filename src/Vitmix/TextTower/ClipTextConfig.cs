using Vitmix.Model.Checkpoints;

namespace Vitmix.TextTower;

/// <summary>Where a checkpoint keeps its CLIP text tower.</summary>
public enum ClipTextLayout
{
    /// <summary>Hugging Face <c>CLIPModel</c> / <c>CLIPTextModelWithProjection</c>: <c>text_model.*</c>, <c>text_projection.weight</c>.</summary>
    HuggingFace,
    /// <summary>OpenAI CLIP and open_clip: <c>token_embedding.weight</c>, <c>transformer.resblocks.N.*</c>, <c>ln_final</c>, <c>text_projection</c>.</summary>
    OpenAi,
}

/// <summary>The MLP's activation.</summary>
public enum ClipTextActivation
{
    /// <summary>x·σ(1.702·x), OpenAI's CLIP (HF <c>quick_gelu</c>, open_clip <c>quick_gelu: true</c>).</summary>
    QuickGelu,
    /// <summary>Exact GELU (HF <c>gelu</c>, open_clip's default <c>nn.GELU</c>).</summary>
    Gelu,
    /// <summary>GELU's tanh approximation (HF <c>gelu_new</c>, <c>gelu_pytorch_tanh</c>).</summary>
    GeluTanh,
}

/// <summary>Which position the text embedding is read from.</summary>
public enum ClipTextReadout
{
    /// <summary>The largest token id (OpenAI's <c>text.argmax(dim=-1)</c>; HF for legacy configs with <c>eos_token_id == 2</c>): &lt;|endoftext|&gt; has the largest id.</summary>
    ArgmaxId,
    /// <summary>The first &lt;|endoftext|&gt; (HF when <c>eos_token_id</c> is the real id).</summary>
    FirstEndOfText,
}

/// <summary>
/// The shape of a CLIP text tower (Radford et al. 2021): a causal pre-norm transformer over token plus position
/// embeddings, a final LayerNorm, the &lt;|endoftext|&gt; token's row read out and projected to the joint embedding.
/// </summary>
public sealed record ClipTextConfig
{
    /// <summary>Key layout of the checkpoint.</summary>
    public required ClipTextLayout Layout { get; init; }
    /// <summary>Token width W (HF <c>hidden_size</c>, open_clip <c>width</c>).</summary>
    public required int Width { get; init; }
    /// <summary>Attention heads.</summary>
    public required int Heads { get; init; }
    /// <summary>Residual attention blocks.</summary>
    public required int Layers { get; init; }
    /// <summary>MLP hidden size (HF <c>intermediate_size</c>, open_clip <c>width · mlp_ratio</c>).</summary>
    public required int MlpHidden { get; init; }
    /// <summary>Positions (rows of the position embedding), 77 for CLIP.</summary>
    public required int ContextLength { get; init; }
    /// <summary>Rows of the token embedding.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Joint embedding size E (HF <c>projection_dim</c>, open_clip <c>embed_dim</c>).</summary>
    public required int ProjectionDim { get; init; }
    /// <summary>The MLP's activation.</summary>
    public required ClipTextActivation Activation { get; init; }
    /// <summary>LayerNorm epsilon (1e-5 in every CLIP).</summary>
    public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>How the read-out position is found.</summary>
    public ClipTextReadout Readout { get; init; } = ClipTextReadout.ArgmaxId;
    /// <summary>The end-of-text id that <see cref="ClipTextReadout.FirstEndOfText"/> looks for; null to take the tokenizer's.</summary>
    public int? EosTokenId { get; init; }
    /// <summary>True when the projection has a bias (open_clip <c>proj_bias</c>).</summary>
    public bool ProjectionBias { get; init; }

    internal const int MaxWidth = 16384, MaxLayers = 512, MaxMlpHidden = 1 << 17, MaxContext = 16384, MaxVocab = 1 << 22;

    /// <summary>Refuses sizes no CLIP has before they size an allocation; <paramref name="where"/> names the source.</summary>
    internal void Validate(string where)
    {
        Check(Width, 1, MaxWidth, "width");
        Check(Heads, 1, Width, "heads");
        if (Width % Heads != 0) throw new InvalidDataException($"{where}: width {Width} is not a multiple of the {Heads} heads");
        Check(Layers, 1, MaxLayers, "layers");
        Check(MlpHidden, 1, MaxMlpHidden, "MLP hidden size");
        Check(ContextLength, 2, MaxContext, "context length");
        Check(VocabSize, 2, MaxVocab, "vocabulary size");
        Check(ProjectionDim, 1, MaxWidth, "projection size");
        if (!(LayerNormEps > 0 && LayerNormEps < 1)) throw new InvalidDataException($"{where}: layer_norm_eps {LayerNormEps} is not in (0, 1)");

        void Check(int value, int min, int max, string name)
        {
            if (value < min || value > max) throw new InvalidDataException($"{where}: {name} {value} is outside [{min}, {max}]");
        }
    }

    /// <summary>
    /// The text tower of a Hugging Face <c>config.json</c>: <c>text_config</c> of a <c>CLIPModel</c> (or the root of a
    /// <c>clip_text_model</c>), with <c>CLIPTextConfig</c>'s defaults for absent fields (transformers
    /// <c>models/clip/configuration_clip.py</c>, commit b5af059; the read-out rule of
    /// <c>modeling_clip.py</c>, commit 679021a).
    /// </summary>
    internal static ClipTextConfig FromHuggingFace(string configPath)
    {
        using var doc = JsonFields.ParseFile(configPath);
        var root = new JsonFields(doc.RootElement, configPath);
        var text = root.Child("text_config") ?? root.Child("text_config_dict")
            ?? (root.String("model_type") == "clip_text_model" ? root
                : throw root.Error("has no \"text_config\" (not a CLIP config, or a vision-only one: it has no text tower)"));
        string act = text.String("hidden_act") ?? "quick_gelu";
        var activation = act switch
        {
            "quick_gelu" => ClipTextActivation.QuickGelu,
            "gelu" => ClipTextActivation.Gelu,
            "gelu_new" or "gelu_pytorch_tanh" => ClipTextActivation.GeluTanh,
            _ => throw text.Error($"\"hidden_act\" is \"{act}\", expected quick_gelu, gelu, gelu_new or gelu_pytorch_tanh"),
        };
        int eos = text.Int("eos_token_id") ?? 49407;
        return new ClipTextConfig
        {
            Layout = ClipTextLayout.HuggingFace,
            Width = text.Int("hidden_size") ?? 512,
            Heads = text.Int("num_attention_heads") ?? 8,
            Layers = text.Int("num_hidden_layers") ?? 12,
            MlpHidden = text.Int("intermediate_size") ?? 2048,
            ContextLength = text.Int("max_position_embeddings") ?? 77,
            VocabSize = text.Int("vocab_size") ?? 49408,
            ProjectionDim = root.Int("projection_dim") ?? text.Int("projection_dim") ?? 512,
            Activation = activation,
            LayerNormEps = text.Double("layer_norm_eps") ?? 1e-5,
            // modeling_clip.py CLIPTextTransformer.forward: eos_token_id == 2 marks configs written before the fix, whose
            // pooling is the argmax of the ids; any other value is looked up as the first occurrence.
            Readout = eos == 2 ? ClipTextReadout.ArgmaxId : ClipTextReadout.FirstEndOfText,
            EosTokenId = eos == 2 ? null : eos,
        };
    }

    /// <summary>
    /// The text tower of an <c>open_clip_config.json</c> (<c>model_cfg.text_cfg</c>, open_clip's <c>CLIPTextCfg</c>
    /// defaults, <c>src/open_clip/transformer.py</c> commit 01c3cd5; <c>quick_gelu</c> and <c>embed_dim</c> from <c>model_cfg</c>). Text towers open_clip builds from
    /// another library (<c>hf_model_name</c>) or with options this port lacks are refused by name.
    /// </summary>
    internal static ClipTextConfig FromOpenClip(string configPath, bool projectionBias)
    {
        using var doc = JsonFields.ParseFile(configPath);
        var root = new JsonFields(doc.RootElement, configPath);
        var model = root.Child("model_cfg") ?? root;
        var text = model.Child("text_cfg") ?? throw model.Error("has no \"text_cfg\" (no text tower)");
        foreach (var name in new[] { "hf_model_name", "hf_tokenizer_name" })
            if (text.String(name) is { } hf)
                throw text.Error($"\"{name}\" is \"{hf}\": a text tower or tokenizer from Hugging Face transformers, not CLIP's; not supported");
        if (text.Bool("embed_cls") == true) throw text.Error("\"embed_cls\" is true (CoCa's class token): not supported");
        if (text.Bool("no_causal_mask") == true) throw text.Error("\"no_causal_mask\" is true: not supported (CLIP's text tower is causal)");
        if (text.Get("ls_init_value") is not null) throw text.Error("\"ls_init_value\" is set (LayerScale in the text tower): not supported");
        if (text.String("pool_type") is { } pool && pool != "argmax")
            throw text.Error($"\"pool_type\" is \"{pool}\", expected \"argmax\" (the only read-out supported)");
        int width = text.Int("width") ?? 512;
        double ratio = text.Double("mlp_ratio") ?? 4.0;
        if (!(ratio > 0 && ratio <= 64)) throw text.Error($"\"mlp_ratio\" is {ratio}, expected a number in (0, 64]");
        return new ClipTextConfig
        {
            Layout = ClipTextLayout.OpenAi,
            Width = width,
            Heads = text.Int("heads") ?? 8,
            Layers = text.Int("layers") ?? 12,
            MlpHidden = (int)(width * ratio),
            ContextLength = text.Int("context_length") ?? 77,
            VocabSize = text.Int("vocab_size") ?? 49408,
            ProjectionDim = model.Int("embed_dim") ?? 512,
            Activation = model.Bool("quick_gelu") == true ? ClipTextActivation.QuickGelu : ClipTextActivation.Gelu,
            ProjectionBias = projectionBias,
        };
    }
}
