using Vitmix.Engine;

namespace Vitmix.Model;

/// <summary>
/// The parameters of one transformer block, timm layout (qkv fused: rows q, k, v; heads contiguous). Every array is
/// row-major; D is <see cref="VitConfig.EmbedDim"/> and Hm is <see cref="VitConfig.MlpHidden"/>.
/// </summary>
public sealed class BlockWeights
{
    /// <summary>LayerNorm before attention (timm's norm1): scale γ and shift β, (D) each.</summary>
    public required float[] Norm1Weight, Norm1Bias;
    /// <summary>Fused query, key and value projection (attn.qkv.weight), (3D, D): rows q, then k, then v.</summary>
    public required float[] QkvWeight;
    /// <summary>Bias of the qkv projection, (3D); null when <see cref="VitConfig.QkvBias"/> is off.</summary>
    public float[]? QkvBias;
    /// <summary>Attention output projection (attn.proj): weight (D, D) and bias (D).</summary>
    public required float[] ProjWeight, ProjBias;
    /// <summary>LayerScale γ on the attention branch (ls1.gamma), (D); null without <see cref="VitConfig.LayerScale"/>.</summary>
    public float[]? LayerScale1;
    /// <summary>LayerNorm before the MLP (timm's norm2): scale γ and shift β, (D) each.</summary>
    public required float[] Norm2Weight, Norm2Bias;
    /// <summary>First MLP layer (mlp.fc1): weight (Hm, D) and bias (Hm); (2·Hm, D) and (2·Hm), gate rows first, with <see cref="VitConfig.GatedMlp"/>.</summary>
    public required float[] Fc1Weight, Fc1Bias;
    /// <summary>The MLP's sub-LayerNorm over its Hm hidden features (mlp.norm, EVA-02): γ and β; null unless <see cref="VitConfig.MlpNorm"/>.</summary>
    public float[]? MlpNormWeight, MlpNormBias;
    /// <summary>Second MLP layer (mlp.fc2): weight (D, Hm) and bias (D).</summary>
    public required float[] Fc2Weight, Fc2Bias;
    /// <summary>LayerScale γ on the MLP branch (ls2.gamma), (D); null without <see cref="VitConfig.LayerScale"/>.</summary>
    public float[]? LayerScale2;
    /// <summary>BEiT's relative position bias table (attn.relative_position_bias_table), (rows, H); null without <see cref="VitConfig.RelativePositionBias"/>.</summary>
    public float[]? RelativePositionBiasTable;
}

/// <summary>
/// The attention-pool readout (timm's attn_pool, AttentionPoolLatent with one latent): D is the width, Hm the MLP's.
/// </summary>
public sealed class AttentionPoolWeights
{
    /// <summary>The probe (attn_pool.latent), (D).</summary>
    public required float[] Latent;
    /// <summary>q on the probe: weight (D, D) and bias (D).</summary>
    public required float[] QWeight, QBias;
    /// <summary>kv on the tokens: weight (2D, D), rows k then v, and bias (2D).</summary>
    public required float[] KvWeight, KvBias;
    /// <summary>Output projection: weight (D, D) and bias (D).</summary>
    public required float[] ProjWeight, ProjBias;
    /// <summary>LayerNorm before the MLP: γ and β, (D) each.</summary>
    public required float[] NormWeight, NormBias;
    /// <summary>MLP: fc1 (Hm, D) and (Hm), fc2 (D, Hm) and (D).</summary>
    public required float[] Fc1Weight, Fc1Bias, Fc2Weight, Fc2Bias;

    internal IEnumerable<(string Name, float[] Data)> Named()
    {
        yield return ("attn_pool.latent", Latent);
        yield return ("attn_pool.q.weight", QWeight);
        yield return ("attn_pool.q.bias", QBias);
        yield return ("attn_pool.kv.weight", KvWeight);
        yield return ("attn_pool.kv.bias", KvBias);
        yield return ("attn_pool.proj.weight", ProjWeight);
        yield return ("attn_pool.proj.bias", ProjBias);
        yield return ("attn_pool.norm.weight", NormWeight);
        yield return ("attn_pool.norm.bias", NormBias);
        yield return ("attn_pool.mlp.fc1.weight", Fc1Weight);
        yield return ("attn_pool.mlp.fc1.bias", Fc1Bias);
        yield return ("attn_pool.mlp.fc2.weight", Fc2Weight);
        yield return ("attn_pool.mlp.fc2.bias", Fc2Bias);
    }

    internal static IEnumerable<(string Name, int[] Shape)> ExpectedShapes(int d, int hm) =>
    [
        ("attn_pool.latent", [1, 1, d]), ("attn_pool.q.weight", [d, d]), ("attn_pool.q.bias", [d]),
        ("attn_pool.kv.weight", [2 * d, d]), ("attn_pool.kv.bias", [2 * d]), ("attn_pool.proj.weight", [d, d]), ("attn_pool.proj.bias", [d]),
        ("attn_pool.norm.weight", [d]), ("attn_pool.norm.bias", [d]), ("attn_pool.mlp.fc1.weight", [hm, d]), ("attn_pool.mlp.fc1.bias", [hm]),
        ("attn_pool.mlp.fc2.weight", [d, hm]), ("attn_pool.mlp.fc2.bias", [d]),
    ];

    internal static AttentionPoolWeights From(Func<string, float[]> get) => new()
    {
        Latent = get("attn_pool.latent"), QWeight = get("attn_pool.q.weight"), QBias = get("attn_pool.q.bias"),
        KvWeight = get("attn_pool.kv.weight"), KvBias = get("attn_pool.kv.bias"), ProjWeight = get("attn_pool.proj.weight"),
        ProjBias = get("attn_pool.proj.bias"), NormWeight = get("attn_pool.norm.weight"), NormBias = get("attn_pool.norm.bias"),
        Fc1Weight = get("attn_pool.mlp.fc1.weight"), Fc1Bias = get("attn_pool.mlp.fc1.bias"),
        Fc2Weight = get("attn_pool.mlp.fc2.weight"), Fc2Bias = get("attn_pool.mlp.fc2.bias"),
    };

    /// <summary>A zero-filled twin, to accumulate gradients into.</summary>
    public AttentionPoolWeights ZerosLike()
    {
        var named = Named().ToDictionary(p => p.Name, p => new float[p.Data.Length]);
        return From(name => named[name]);
    }
}

/// <summary>
/// All parameters of a <see cref="VisionTransformer"/>, named after timm's state dict. Every array is row-major;
/// D is <see cref="VitConfig.EmbedDim"/>, K is <see cref="VitConfig.NumClasses"/>.
/// </summary>
public sealed class VitWeights
{
    /// <summary>Patch embedding (patch_embed.proj.weight), (D, C·p·p), each patch flattened in (c, ky, kx) order.</summary>
    public required float[] PatchWeight;
    /// <summary>Bias of the patch embedding, (D).</summary>
    public required float[] PatchBias;
    /// <summary>The learned class token, (D); null without <see cref="VitConfig.ClassToken"/>.</summary>
    public float[]? ClassToken;
    /// <summary>The distillation token of DeiT (Touvron et al. 2021), (D); null unless <see cref="VitConfig.Distilled"/>.</summary>
    public float[]? DistToken;
    /// <summary>Register tokens (Darcet et al. 2024), (R, D) with R = <see cref="VitConfig.RegisterTokens"/>; null when there are none.</summary>
    public float[]? RegisterTokens;
    /// <summary>Learned position embeddings, (<see cref="VitConfig.NumPositions"/>, D).</summary>
    public required float[] PosEmbed;
    /// <summary>The transformer blocks, <see cref="VitConfig.Depth"/> of them, input side first.</summary>
    public required BlockWeights[] Blocks;
    /// <summary>Final LayerNorm over all tokens (timm's norm): γ and β, (D) each; null with <see cref="VitConfig.FcNorm"/>.</summary>
    public float[]? NormWeight, NormBias;
    /// <summary>LayerNorm after pooling (timm's fc_norm): γ and β, (D) each; null unless <see cref="VitConfig.FcNorm"/>.</summary>
    public float[]? FcNormWeight, FcNormBias;
    /// <summary>Classifier head: weight (K, D) and bias (K).</summary>
    public required float[] HeadWeight, HeadBias;
    /// <summary>DeiT's distillation head: weight (K, D) and bias (K); null unless <see cref="VitConfig.Distilled"/>.</summary>
    public float[]? HeadDistWeight, HeadDistBias;
    /// <summary>The relative position bias table every block shares (rel_pos_bias.relative_position_bias_table), (rows, H); null unless <see cref="VitConfig.SharedRelativePositionBias"/>.</summary>
    public float[]? SharedRelativePositionBiasTable;
    /// <summary>LayerNorm before the first block (timm's norm_pre, CLIP's ln_pre): γ and β, (D) each; null unless <see cref="VitConfig.PreNorm"/>.</summary>
    public float[]? NormPreWeight, NormPreBias;
    /// <summary>
    /// The zero-shot head's text rows and scale; null unless <see cref="VitConfig.ZeroShot"/>. Not parameters of the
    /// image encoder (they come from the text tower), so <see cref="Named"/> leaves them out.
    /// </summary>
    public ZeroShotWeights? ZeroShot;
    /// <summary>The attention-pool readout (attn_pool.*); null unless <see cref="VitConfig.Pool"/> is <see cref="GlobalPool.Map"/>.</summary>
    public AttentionPoolWeights? AttnPool;

    /// <summary>A copy sharing every array (the model's layers share them too), to change one field of.</summary>
    public VitWeights ShallowCopy() => (VitWeights)MemberwiseClone();

    /// <summary>Every parameter with its timm name, in state-dict order (used for saving and for training).</summary>
    public IEnumerable<(string Name, float[] Data)> Named()
    {
        if (ClassToken != null) yield return ("cls_token", ClassToken);
        if (RegisterTokens != null) yield return ("reg_token", RegisterTokens);
        if (DistToken != null) yield return ("dist_token", DistToken);
        yield return ("pos_embed", PosEmbed);
        yield return ("patch_embed.proj.weight", PatchWeight);
        yield return ("patch_embed.proj.bias", PatchBias);
        if (NormPreWeight != null) yield return ("norm_pre.weight", NormPreWeight);
        if (NormPreBias != null) yield return ("norm_pre.bias", NormPreBias);
        for (int i = 0; i < Blocks.Length; i++)
        {
            var b = Blocks[i];
            string p = $"blocks.{i}.";
            yield return (p + "norm1.weight", b.Norm1Weight);
            yield return (p + "norm1.bias", b.Norm1Bias);
            yield return (p + "attn.qkv.weight", b.QkvWeight);
            if (b.QkvBias != null) yield return (p + "attn.qkv.bias", b.QkvBias);
            if (b.RelativePositionBiasTable != null) yield return (p + "attn.relative_position_bias_table", b.RelativePositionBiasTable);
            yield return (p + "attn.proj.weight", b.ProjWeight);
            yield return (p + "attn.proj.bias", b.ProjBias);
            if (b.LayerScale1 != null) yield return (p + "ls1.gamma", b.LayerScale1);
            yield return (p + "norm2.weight", b.Norm2Weight);
            yield return (p + "norm2.bias", b.Norm2Bias);
            yield return (p + "mlp.fc1.weight", b.Fc1Weight);
            yield return (p + "mlp.fc1.bias", b.Fc1Bias);
            if (b.MlpNormWeight != null) yield return (p + "mlp.norm.weight", b.MlpNormWeight);
            if (b.MlpNormBias != null) yield return (p + "mlp.norm.bias", b.MlpNormBias);
            yield return (p + "mlp.fc2.weight", b.Fc2Weight);
            yield return (p + "mlp.fc2.bias", b.Fc2Bias);
            if (b.LayerScale2 != null) yield return (p + "ls2.gamma", b.LayerScale2);
        }
        if (SharedRelativePositionBiasTable != null) yield return ("rel_pos_bias.relative_position_bias_table", SharedRelativePositionBiasTable);
        if (NormWeight != null) yield return ("norm.weight", NormWeight);
        if (NormBias != null) yield return ("norm.bias", NormBias);
        if (AttnPool != null) foreach (var p in AttnPool.Named()) yield return p;
        if (FcNormWeight != null) yield return ("fc_norm.weight", FcNormWeight);
        if (FcNormBias != null) yield return ("fc_norm.bias", FcNormBias);
        yield return ("head.weight", HeadWeight);
        yield return ("head.bias", HeadBias);
        if (HeadDistWeight != null) yield return ("head_dist.weight", HeadDistWeight);
        if (HeadDistBias != null) yield return ("head_dist.bias", HeadDistBias);
    }

    /// <summary>The timm shape of every parameter this config needs, in state-dict order.</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedShapes(VitConfig c)
    {
        int d = c.EmbedDim, hm = c.MlpHidden;
        if (c.ClassToken) yield return ("cls_token", [1, 1, d]);
        if (c.RegisterTokens > 0) yield return ("reg_token", [1, c.RegisterTokens, d]);
        if (c.Distilled) yield return ("dist_token", [1, 1, d]);
        if (c.AbsolutePositionEmbedding) yield return ("pos_embed", [1, c.NumPositions, d]);
        yield return ("patch_embed.proj.weight", [d, c.InChannels, c.PatchSize, c.PatchSize]);
        if (c.SharedRelativePositionBias) yield return ("rel_pos_bias.relative_position_bias_table", [c.RelativePositionRows, c.NumHeads]);
        yield return ("patch_embed.proj.bias", [d]);
        if (c.PreNorm) { yield return ("norm_pre.weight", [d]); yield return ("norm_pre.bias", [d]); }
        for (int i = 0; i < c.Depth; i++)
        {
            string p = $"blocks.{i}.";
            yield return (p + "norm1.weight", [d]);
            yield return (p + "norm1.bias", [d]);
            yield return (p + "attn.qkv.weight", [3 * d, d]);
            if (c.QkvBias && c.QvBias) { yield return (p + "attn.q_bias", [d]); yield return (p + "attn.v_bias", [d]); }
            else if (c.QkvBias) yield return (p + "attn.qkv.bias", [3 * d]);
            if (c.RelativePositionBias) yield return (p + "attn.relative_position_bias_table", [c.RelativePositionRows, c.NumHeads]);
            yield return (p + "attn.proj.weight", [d, d]);
            yield return (p + "attn.proj.bias", [d]);
            if (c.LayerScale) yield return (p + "ls1.gamma", [d]);
            yield return (p + "norm2.weight", [d]);
            yield return (p + "norm2.bias", [d]);
            int fc1 = c.GatedMlp ? 2 * hm : hm;
            yield return (p + "mlp.fc1.weight", [fc1, d]);
            yield return (p + "mlp.fc1.bias", [fc1]);
            if (c.MlpNorm) { yield return (p + "mlp.norm.weight", [hm]); yield return (p + "mlp.norm.bias", [hm]); }
            yield return (p + "mlp.fc2.weight", [d, hm]);
            yield return (p + "mlp.fc2.bias", [d]);
            if (c.LayerScale) yield return (p + "ls2.gamma", [d]);
        }
        if (c.FcNorm) { yield return ("fc_norm.weight", [d]); yield return ("fc_norm.bias", [d]); }
        else { yield return ("norm.weight", [d]); yield return ("norm.bias", [d]); }
        if (c.Pool == GlobalPool.Map) foreach (var p in AttentionPoolWeights.ExpectedShapes(d, hm)) yield return p;
        if (!c.FeatureHead)
        {
            // a zero-shot model's head is the image projection D → E; its classes are text rows, not weights
            int heads = c.ZeroShot == ZeroShotScores.None ? c.NumClasses : c.ImageEmbedDim;
            yield return ("head.weight", [heads, c.ReadoutWidth]);
            yield return ("head.bias", [heads]);
        }
        if (c.Distilled) { yield return ("head_dist.weight", [c.NumClasses, d]); yield return ("head_dist.bias", [c.NumClasses]); }
    }

    /// <summary>
    /// Builds the weights from a timm-named state dict. Every missing key, unexpected key and shape
    /// mismatch is collected and reported in one <see cref="InvalidDataException"/>.
    /// </summary>
    public static VitWeights FromStateDict(VitConfig config, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        config.Validate();
        var expected = ExpectedShapes(config).ToList();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!state.TryGetValue(name, out var t)) { missing.Add(name); continue; }
            if (!t.Shape.SequenceEqual(shape))
                mismatched.Add($"{name} is [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}]");
        }
        var expectedNames = expected.Select(e => e.Name).ToHashSet();
        var unexpected = state.Keys.Where(k => !expectedNames.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count + mismatched.Count + unexpected.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing keys: {Summarise(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected keys: {Summarise(unexpected)}");
            if (mismatched.Count > 0) parts.Add($"shape mismatches: {Summarise(mismatched)}");
            throw new InvalidDataException($"{source}: checkpoint does not fit {config}: {string.Join("; ", parts)}");
        }

        float[] Get(string name) => state[name].Data;
        float[]? Opt(string name) => state.TryGetValue(name, out var t) ? t.Data : null;
        var blocks = new BlockWeights[config.Depth];
        for (int i = 0; i < config.Depth; i++)
        {
            string p = $"blocks.{i}.";
            blocks[i] = new BlockWeights
            {
                Norm1Weight = Get(p + "norm1.weight"), Norm1Bias = Get(p + "norm1.bias"),
                QkvWeight = Get(p + "attn.qkv.weight"),
                QkvBias = config.QvBias ? [.. Get(p + "attn.q_bias"), .. new float[config.EmbedDim], .. Get(p + "attn.v_bias")] : Opt(p + "attn.qkv.bias"),
                RelativePositionBiasTable = Opt(p + "attn.relative_position_bias_table"),
                ProjWeight = Get(p + "attn.proj.weight"), ProjBias = Get(p + "attn.proj.bias"),
                LayerScale1 = Opt(p + "ls1.gamma"),
                Norm2Weight = Get(p + "norm2.weight"), Norm2Bias = Get(p + "norm2.bias"),
                Fc1Weight = Get(p + "mlp.fc1.weight"), Fc1Bias = Get(p + "mlp.fc1.bias"),
                MlpNormWeight = Opt(p + "mlp.norm.weight"), MlpNormBias = Opt(p + "mlp.norm.bias"),
                Fc2Weight = Get(p + "mlp.fc2.weight"), Fc2Bias = Get(p + "mlp.fc2.bias"),
                LayerScale2 = Opt(p + "ls2.gamma"),
            };
        }
        return new VitWeights
        {
            PatchWeight = Get("patch_embed.proj.weight"), PatchBias = Get("patch_embed.proj.bias"),
            ClassToken = Opt("cls_token"), DistToken = Opt("dist_token"), RegisterTokens = Opt("reg_token"),
            // without an absolute position embedding the embedding layer adds zeros (BEiT's positions are relative)
            PosEmbed = config.AbsolutePositionEmbedding ? Get("pos_embed") : new float[checked(config.NumPositions * config.EmbedDim)], Blocks = blocks,
            SharedRelativePositionBiasTable = Opt("rel_pos_bias.relative_position_bias_table"),
            NormWeight = Opt("norm.weight"), NormBias = Opt("norm.bias"),
            FcNormWeight = Opt("fc_norm.weight"), FcNormBias = Opt("fc_norm.bias"),
            HeadWeight = config.FeatureHead ? Identity(config.ReadoutWidth) : Get("head.weight"),
            HeadBias = config.FeatureHead ? new float[config.ReadoutWidth] : Get("head.bias"),
            HeadDistWeight = Opt("head_dist.weight"), HeadDistBias = Opt("head_dist.bias"),
            NormPreWeight = Opt("norm_pre.weight"), NormPreBias = Opt("norm_pre.bias"),
            AttnPool = config.Pool == GlobalPool.Map ? AttentionPoolWeights.From(Get) : null,
        };
    }

    /// <summary>The identity head of a model without a classifier (<see cref="VitConfig.FeatureHead"/>): (K, K), K the readout width.</summary>
    static float[] Identity(int k)
    {
        var w = new float[checked(k * k)];
        for (int i = 0; i < k; i++) w[i * k + i] = 1f;
        return w;
    }

    static string Summarise(List<string> items) =>
        items.Count <= 12 ? string.Join(", ", items) : string.Join(", ", items.Take(12)) + $" and {items.Count - 12} more";
}
