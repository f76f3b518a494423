using Vitmix.Model.Checkpoints;

namespace Vitmix.TextTower;

/// <summary>
/// The parameters of a CLIP text tower in one canonical form, read from either key layout: every linear weight as
/// torch's <c>nn.Linear</c> stores it, (out, in) row-major; q, k and v fused into one (3W, W) in-projection as
/// <c>nn.MultiheadAttention</c> keeps them; the projection as a (E, W) linear weight.
/// </summary>
internal sealed class ClipTextWeights
{
    public required float[] TokenEmbedding { get; init; }     // (V, W)
    public required float[] PositionEmbedding { get; init; }  // (P, W)
    public required Block[] Blocks { get; init; }
    public required float[] FinalNormWeight { get; init; }
    public required float[] FinalNormBias { get; init; }
    public required float[] Projection { get; init; }         // (E, W)
    public float[]? ProjectionBias { get; init; }

    internal sealed class Block
    {
        public required float[] Norm1Weight, Norm1Bias, InProjWeight, InProjBias, OutProjWeight, OutProjBias;
        public required float[] Norm2Weight, Norm2Bias, Fc1Weight, Fc1Bias, Fc2Weight, Fc2Bias;
    }

    /// <summary>
    /// Reads the tower of <paramref name="config"/> from <paramref name="file"/>. Every tensor's shape is compared with
    /// the configuration before it is read, so a wrong or hostile header never sizes an allocation.
    /// </summary>
    public static ClipTextWeights Read(SafeTensorsFile file, ClipTextConfig config) =>
        config.Layout == ClipTextLayout.HuggingFace ? ReadHuggingFace(file, config) : ReadOpenAi(file, config);

    static ClipTextWeights ReadHuggingFace(SafeTensorsFile f, ClipTextConfig c)
    {
        int w = c.Width, i = c.MlpHidden;
        const string t = "text_model.";
        var blocks = new Block[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"{t}encoder.layers.{l}.";
            // transformers keeps q, k and v apart; stacked in that order they are nn.MultiheadAttention's in_proj.
            var qkv = new float[3 * w * w];
            var qkvBias = new float[3 * w];
            string[] parts = ["q", "k", "v"];
            for (int j = 0; j < 3; j++)
            {
                Into(f, $"{p}self_attn.{parts[j]}_proj.weight", [w, w], qkv.AsSpan(j * w * w, w * w));
                Into(f, $"{p}self_attn.{parts[j]}_proj.bias", [w], qkvBias.AsSpan(j * w, w));
            }
            blocks[l] = new Block
            {
                Norm1Weight = Read(f, $"{p}layer_norm1.weight", w), Norm1Bias = Read(f, $"{p}layer_norm1.bias", w),
                InProjWeight = qkv, InProjBias = qkvBias,
                OutProjWeight = Read(f, $"{p}self_attn.out_proj.weight", w, w), OutProjBias = Read(f, $"{p}self_attn.out_proj.bias", w),
                Norm2Weight = Read(f, $"{p}layer_norm2.weight", w), Norm2Bias = Read(f, $"{p}layer_norm2.bias", w),
                Fc1Weight = Read(f, $"{p}mlp.fc1.weight", i, w), Fc1Bias = Read(f, $"{p}mlp.fc1.bias", i),
                Fc2Weight = Read(f, $"{p}mlp.fc2.weight", w, i), Fc2Bias = Read(f, $"{p}mlp.fc2.bias", w),
            };
        }
        RefuseExtraLayer(f, $"{t}encoder.layers.{c.Layers}.layer_norm1.weight", c.Layers);
        return new ClipTextWeights
        {
            TokenEmbedding = Read(f, $"{t}embeddings.token_embedding.weight", c.VocabSize, w),
            PositionEmbedding = Read(f, $"{t}embeddings.position_embedding.weight", c.ContextLength, w),
            Blocks = blocks,
            FinalNormWeight = Read(f, $"{t}final_layer_norm.weight", w),
            FinalNormBias = Read(f, $"{t}final_layer_norm.bias", w),
            Projection = Read(f, "text_projection.weight", c.ProjectionDim, w),
        };
    }

    static ClipTextWeights ReadOpenAi(SafeTensorsFile f, ClipTextConfig c)
    {
        int w = c.Width, i = c.MlpHidden, e = c.ProjectionDim;
        var blocks = new Block[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"transformer.resblocks.{l}.";
            blocks[l] = new Block
            {
                Norm1Weight = Read(f, $"{p}ln_1.weight", w), Norm1Bias = Read(f, $"{p}ln_1.bias", w),
                InProjWeight = Read(f, $"{p}attn.in_proj_weight", 3 * w, w), InProjBias = Read(f, $"{p}attn.in_proj_bias", 3 * w),
                OutProjWeight = Read(f, $"{p}attn.out_proj.weight", w, w), OutProjBias = Read(f, $"{p}attn.out_proj.bias", w),
                Norm2Weight = Read(f, $"{p}ln_2.weight", w), Norm2Bias = Read(f, $"{p}ln_2.bias", w),
                Fc1Weight = Read(f, $"{p}mlp.c_fc.weight", i, w), Fc1Bias = Read(f, $"{p}mlp.c_fc.bias", i),
                Fc2Weight = Read(f, $"{p}mlp.c_proj.weight", w, i), Fc2Bias = Read(f, $"{p}mlp.c_proj.bias", w),
            };
        }
        RefuseExtraLayer(f, $"transformer.resblocks.{c.Layers}.ln_1.weight", c.Layers);
        float[] projection;
        float[]? projectionBias = null;
        if (c.ProjectionBias)
        {
            // open_clip with proj_bias: an nn.Linear, already (E, W).
            projection = Read(f, "text_projection.weight", e, w);
            projectionBias = Read(f, "text_projection.bias", e);
        }
        else
        {
            // A bare parameter (W, E) used as x @ text_projection: transposed once into linear form.
            var we = Read(f, "text_projection", w, e);
            projection = new float[e * w];
            for (int r = 0; r < w; r++)
                for (int k = 0; k < e; k++) projection[k * w + r] = we[r * e + k];
        }
        return new ClipTextWeights
        {
            TokenEmbedding = Read(f, "token_embedding.weight", c.VocabSize, w),
            PositionEmbedding = Read(f, "positional_embedding", c.ContextLength, w),
            Blocks = blocks,
            FinalNormWeight = Read(f, "ln_final.weight", w),
            FinalNormBias = Read(f, "ln_final.bias", w),
            Projection = projection,
            ProjectionBias = projectionBias,
        };
    }

    /// <summary>A checkpoint with more blocks than its configuration says is a mismatch, not something to ignore.</summary>
    static void RefuseExtraLayer(SafeTensorsFile f, string key, int layers)
    {
        if (f.Contains(key)) throw new InvalidDataException($"{f.Path}: has '{key}' but the configuration has {layers} text layers");
    }

    static float[] Read(SafeTensorsFile f, string name, params int[] shape)
    {
        var data = new float[Check(f, name, shape)];
        f.ReadFloats(name, data);
        return data;
    }

    static void Into(SafeTensorsFile f, string name, int[] shape, Span<float> destination)
    {
        Check(f, name, shape);
        f.ReadFloats(name, destination);
    }

    static int Check(SafeTensorsFile f, string name, int[] shape)
    {
        if (!f.TryGet(name, out var info))
            throw new InvalidDataException($"{f.Path}: no tensor named '{name}' (expected a CLIP text tower in this layout)");
        if (!info.Shape.SequenceEqual(shape.Select(d => (long)d)))
            throw new InvalidDataException($"{f.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], the configuration expects [{string.Join(", ", shape)}]");
        return checked((int)Tensor.ElementCount(shape));
    }
}
