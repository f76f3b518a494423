namespace Vitmix.Model.Checkpoints;

/// <summary>
/// What the tensor shapes and key names reveal: width, depth, patch, MLP width, classes, qkv bias, prefix tokens,
/// LayerScale, fc_norm and the position grid. The number of heads is not among them: q·kᵀ per head is invisible in
/// the fused qkv shape (formats.md §3.1).
/// </summary>
internal static class ShapeInference
{
    /// <summary>Image size and patch, when stronger sources decided them, settle whether pos_embed covers the prefix tokens.</summary>
    public static PartialConfig Infer(CanonicalStateDict state, int? imageHeight, int? imageWidth, int? patchSize, string path)
    {
        var p = new PartialConfig { Origin = "tensor shapes" };
        if (state.Shape("patch_embed.proj.weight") is { Length: 4 } pw)
        {
            if (pw[2] != pw[3]) throw new InvalidDataException($"{path}: non-square patches {pw[2]}x{pw[3]} are not supported");
            p.EmbedDim = Dim(pw[0], "patch_embed.proj.weight");
            p.InChannels = Dim(pw[1], "patch_embed.proj.weight");
            p.PatchSize = Dim(pw[2], "patch_embed.proj.weight");
        }
        int depth = 0;
        foreach (var name in state.Names)
        {
            if (!name.StartsWith("blocks.", StringComparison.Ordinal)) continue;
            int dot = name.IndexOf('.', 7);
            if (dot > 7 && int.TryParse(name.AsSpan(7, dot - 7), out int i)) depth = Math.Max(depth, i + 1);
        }
        if (depth > 0) p.Depth = depth;
        if (state.Shape("blocks.0.mlp.fc1.weight") is { Length: 2 } fc1)
        {
            p.MlpHidden = Dim(fc1[0], "blocks.0.mlp.fc1.weight");
            // SwiGLU (EVA-02): fc1 holds gate and value rows, twice what fc2 reads
            if (state.Shape("blocks.0.mlp.fc2.weight") is { Length: 2 } fc2 && fc1[0] == 2 * fc2[1])
            {
                p.GatedMlp = true;
                p.MlpHidden = Dim(fc2[1], "blocks.0.mlp.fc2.weight");
            }
        }
        p.MlpNorm = state.Has("blocks.0.mlp.norm.weight");
        if (state.Shape("head.weight") is { Length: 2 } head) p.NumClasses = Dim(head[0], "head.weight");
        // No classifier at all (timm num_classes=0, a backbone): the readout's features are the outputs.
        p.FeatureHead = depth > 0 && !state.Has("head.weight");
        // BEiT: q and v biases without a k bias, relative position bias tables, no absolute position embedding
        p.QvBias = state.Has("blocks.0.attn.q_bias");
        p.RelativePositionBias = state.Has("blocks.0.attn.relative_position_bias_table");
        p.SharedRelativePositionBias = state.Has("rel_pos_bias.relative_position_bias_table");
        p.AbsolutePositionEmbedding = state.Has("pos_embed");
        p.QkvBias = state.Has("blocks.0.attn.qkv.bias") || p.QvBias == true;
        p.ClassToken = state.Has("cls_token");
        p.Distilled = state.Has("dist_token");
        p.RegisterTokens = state.Shape("reg_token") is { Length: 3 } reg ? Dim(reg[1], "reg_token") : 0;
        p.LayerScale = state.Has("blocks.0.ls1.gamma");
        p.FcNorm = state.Has("fc_norm.weight");
        // No class token, or a norm after pooling, both mean timm pooled by averaging the patch tokens.
        p.Pool = p.FcNorm == true || p.ClassToken == false ? GlobalPool.Average : GlobalPool.Token;

        if (state.Shape("pos_embed") is { Length: 3 } pos)
        {
            long rows = pos[1];
            int prefix = (p.ClassToken == true ? 1 : 0) + (p.Distilled == true ? 1 : 0) + p.RegisterTokens!.Value;
            int? patch = patchSize ?? p.PatchSize;
            if (imageHeight is { } h && imageWidth is { } w && patch is > 0)
            {
                long patches = (long)(h / patch.Value) * (w / patch.Value);
                p.NoEmbedClass = prefix > 0 && rows == patches;
            }
            else if (patch is > 0)
            {
                // Square image assumed: the grid is whichever of rows-prefix or rows is a perfect square.
                if (IsSquare(rows - prefix, out long g)) { p.NoEmbedClass = false; p.ImageSize = Dim(g * patch.Value, "pos_embed"); }
                else if (prefix > 0 && IsSquare(rows, out g)) { p.NoEmbedClass = true; p.ImageSize = Dim(g * patch.Value, "pos_embed"); }
            }
        }
        return p;

        // A dimension as the int a config holds: a larger one (possible in a tensor with a zero-sized dimension) would wrap.
        int Dim(long value, string tensor) => value <= int.MaxValue
            ? (int)value
            : throw new InvalidDataException($"{path}: tensor {state.SourceName(tensor)} implies a size of {value}, more than a size can be ({int.MaxValue})");
    }

    static bool IsSquare(long n, out long root)
    {
        // A zero-width tensor may declare any row count; bounding the root first keeps root² from overflowing.
        root = n > 0 ? (long)Math.Round(Math.Sqrt(n)) : 0;
        return n > 0 && root <= int.MaxValue && root * root == n;
    }

}
