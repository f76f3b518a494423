using Vitmix.Layers;
using Vitmix.Relevance;

namespace Vitmix.Model;

/// <summary>
/// The one place that turns a <see cref="VitConfig"/> and its <see cref="VitWeights"/> into the layer list of timm's
/// VisionTransformer: patch embedding; prefix tokens and position embedding; blocks of
/// [norm1, attention, ls1] and [norm2, MLP, ls2] residual branches; the final norm (or, with fc_norm, the norm after
/// pooling); the readout; the classifier head. A model family that differs is a different list here, built from the
/// same layer kinds or a new one.
/// </summary>
public static class VitArchitecture
{
    /// <summary>The layers of <paramref name="c"/>, sharing the arrays of <paramref name="w"/>.</summary>
    public static IReadOnlyList<Layer> Build(VitConfig c, VitWeights w)
    {
        int d = c.EmbedDim;
        var layers = new List<Layer>
        {
            new PatchEmbedding("patch_embed.proj", w.PatchWeight, w.PatchBias, c.InChannels, c.PatchSize, d),
            new TokenEmbedding(w.ClassToken, w.DistToken, w.RegisterTokens, w.PosEmbed, d, embedPrefix: !c.NoEmbedClass),
        };
        if (c.PreNorm) layers.Add(new LayerNormalization("norm_pre", w.NormPreWeight!, w.NormPreBias!, c.LayerNormEps));
        var shared = w.SharedRelativePositionBiasTable is { } table
            ? new RelativePositionBias("rel_pos_bias.relative_position_bias_table", table, c.GridHeight, c.GridWidth, c.NumHeads) : null;
        // one rotation table for every block (EVA-02: timm's Eva builds one rope and passes it to each block)
        var rope = c.RotaryPositionEmbedding
            ? new RotaryPositionEmbedding(c.HeadDim, c.GridHeight, c.GridWidth, c.RopeReferenceHeight, c.RopeReferenceWidth, c.NumPrefixTokens) : null;
        for (int l = 0; l < c.Depth; l++) layers.Add(Block(c, w.Blocks[l], l, shared, rope));
        if (!c.FcNorm) layers.Add(new LayerNormalization("norm", w.NormWeight!, w.NormBias!, c.LayerNormEps));
        int heads = c.Distilled ? 2 : 1;
        layers.Add(c.Pool switch
        {
            GlobalPool.Token => new Readout(ReadoutKind.PrefixTokens, heads, c.NumPrefixTokens),
            GlobalPool.ClassAndPatchMean => new Readout(ReadoutKind.ClassAndPatchMean, 1, c.NumPrefixTokens),
            GlobalPool.Map => AttentionPool(c, w.AttnPool ?? throw new ArgumentException("an attention-pool config needs the weights' attn_pool")),
            _ => new Readout(ReadoutKind.PatchMean, 1, c.NumPrefixTokens),
        });
        if (c.FcNorm) layers.Add(new LayerNormalization("fc_norm", w.FcNormWeight!, w.FcNormBias!, c.LayerNormEps));
        int headWidth = c.ZeroShot == ZeroShotScores.None ? c.NumClasses : c.ImageEmbedDim;
        var head = new List<Linear> { new("head", w.HeadWeight, w.HeadBias, c.ReadoutWidth, headWidth, LinearRole.Head) { AccumulatesPerRow = true } };
        if (c.Distilled) head.Add(new("head_dist", w.HeadDistWeight!, w.HeadDistBias!, d, c.NumClasses, LinearRole.Head) { AccumulatesPerRow = true });
        layers.Add(new ClassifierHead(head));
        if (c.ZeroShot != ZeroShotScores.None)
        {
            var z = w.ZeroShot ?? throw new ArgumentException("a zero-shot config needs the weights' text embeddings (VitWeights.ZeroShot)");
            if (z.Classes != c.NumClasses || z.Dim != c.ImageEmbedDim)
                throw new ArgumentException($"{z.Classes} text embeddings of width {z.Dim} for a config of {c.NumClasses} classes and image embeddings of width {c.ImageEmbedDim}");
            layers.Add(new ZeroShotHead(z.Embeddings, z.Classes, z.Dim, z.LogitScale, c.ZeroShot == ZeroShotScores.Sigmoid ? z.LogitBias ?? 0f : null));
        }
        return layers;
    }

    /// <summary>timm's AttentionPoolLatent (attn_pool): the probe, q, kv, proj, then x + mlp(norm(x)), with the blocks' MLP activation.</summary>
    static AttentionPool AttentionPool(VitConfig c, AttentionPoolWeights w)
    {
        int d = c.EmbedDim;
        var mlp = new Mlp("attn_pool.mlp",
            new Linear("attn_pool.mlp.fc1", w.Fc1Weight, w.Fc1Bias, d, c.MlpHidden, LinearRole.MlpIn),
            new Linear("attn_pool.mlp.fc2", w.Fc2Weight, w.Fc2Bias, c.MlpHidden, d, LinearRole.MlpOut), c.Activation);
        var residual = new Residual("attn_pool.mlp-residual", [new LayerNormalization("attn_pool.norm", w.NormWeight, w.NormBias, c.LayerNormEps), mlp]);
        return new AttentionPool("attn_pool", w.Latent,
            new Linear("attn_pool.q", w.QWeight, w.QBias, d, d, LinearRole.Qkv),
            new Linear("attn_pool.kv", w.KvWeight, w.KvBias, d, 2 * d, LinearRole.Qkv),
            new Linear("attn_pool.proj", w.ProjWeight, w.ProjBias, d, d, LinearRole.Projection), residual, c.NumHeads);
    }

    static TransformerBlock Block(VitConfig c, BlockWeights w, int l, RelativePositionBias? shared, RotaryPositionEmbedding? rope)
    {
        int d = c.EmbedDim;
        string p = $"blocks.{l}";
        var attention = new Attention(p + ".attn", l,
            new Linear(p + ".attn.qkv", w.QkvWeight, w.QkvBias, d, 3 * d, LinearRole.Qkv),
            new Linear(p + ".attn.proj", w.ProjWeight, w.ProjBias, d, d, LinearRole.Projection), c.NumHeads)
        {
            RelativePositionBias = w.RelativePositionBiasTable is { } table
                ? new RelativePositionBias(p + ".attn.relative_position_bias_table", table, c.GridHeight, c.GridWidth, c.NumHeads) : shared,
            Rope = rope,
        };
        Layer mlp = c.GatedMlp
            ? new GatedMlp(p + ".mlp",
                new Linear(p + ".mlp.fc1", w.Fc1Weight, w.Fc1Bias, d, 2 * c.MlpHidden, LinearRole.MlpIn),
                c.MlpNorm ? new LayerNormalization(p + ".mlp.norm", w.MlpNormWeight!, w.MlpNormBias!, c.LayerNormEps) : null,
                new Linear(p + ".mlp.fc2", w.Fc2Weight, w.Fc2Bias, c.MlpHidden, d, LinearRole.MlpOut))
            : new Mlp(p + ".mlp",
                new Linear(p + ".mlp.fc1", w.Fc1Weight, w.Fc1Bias, d, c.MlpHidden, LinearRole.MlpIn),
                new Linear(p + ".mlp.fc2", w.Fc2Weight, w.Fc2Bias, c.MlpHidden, d, LinearRole.MlpOut), c.Activation);
        var first = new List<Layer> { new LayerNormalization(p + ".norm1", w.Norm1Weight, w.Norm1Bias, c.LayerNormEps), attention };
        if (w.LayerScale1 != null) first.Add(new LayerScale(p + ".ls1", w.LayerScale1));
        var second = new List<Layer> { new LayerNormalization(p + ".norm2", w.Norm2Weight, w.Norm2Bias, c.LayerNormEps), mlp };
        if (w.LayerScale2 != null) second.Add(new LayerScale(p + ".ls2", w.LayerScale2));
        return new TransformerBlock(p, l, attention, [new Residual(p + ".attn-residual", first), new Residual(p + ".mlp-residual", second)]);
    }
}
