using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation.Sanity;

/// <summary>
/// Model-parameter randomisation (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018) as Quantus does it
/// for PyTorch models (quantus/helpers/model/pytorch_model.py, get_random_layer_generator): every module that has
/// <c>reset_parameters</c> is re-initialised by it, top-down for the cascading check, one stage alone for the
/// independent one. PyTorch's defaults are reproduced: Linear and Conv2d weights and biases uniform in
/// ±1/√fan_in (kaiming_uniform with a = √5), LayerNorm weight 1 and bias 0. Parameters that belong to no such module
/// (the class and register tokens, the position embedding, LayerScale's γ) keep their values, as in Quantus.
/// The modules are grouped into stages: the head with the final norm, each block, the patch embedding.
/// Each parameter draws from its own <see cref="SplitMix64"/> stream (seed, its index in the state dict), so a stage
/// gets the same random weights in the cascading and the independent check.
/// </summary>
public static class ModelRandomization
{
    /// <summary>The stages of <paramref name="config"/>'s network from the output down: head, block L−1 … block 0, patch embedding.</summary>
    public static IReadOnlyList<RandomizationStage> TopDown(VitConfig config)
    {
        var stages = new List<RandomizationStage> { new("head", ["head.", "head_dist.", "norm.", "fc_norm.", "attn_pool."]) };
        for (int b = config.Depth - 1; b >= 0; b--) stages.Add(new($"block {b}", [$"blocks.{b}."]));
        stages.Add(new("patch embedding", ["patch_embed.", "norm_pre."]));
        return stages;
    }

    /// <summary>A copy of <paramref name="model"/> whose parameters in <paramref name="stages"/> are re-initialised; the original is untouched.</summary>
    public static VisionTransformer Randomize(VisionTransformer model, IReadOnlyCollection<RandomizationStage> stages, int seed)
    {
        var c = model.Config;
        var values = model.Weights.Named().ToDictionary(p => p.Name, p => p.Data);
        var shapes = VitWeights.ExpectedShapes(c).ToList();
        var state = new Dictionary<string, Tensor>(shapes.Count);
        for (int index = 0; index < shapes.Count; index++)
        {
            var (name, shape) = shapes[index];
            var data = (float[])values[name].Clone();
            if (stages.Any(s => s.Covers(name))) Reset(name, data, shapes, index, seed);
            state[name] = new Tensor(data, shape);
        }
        var weights = VitWeights.FromStateDict(c, state, "randomised copy");
        weights.ZeroShot = model.Weights.ZeroShot; // a zero-shot head's text rows are not the image model's parameters
        return new VisionTransformer(c, weights) { Backend = model.Backend, Buffers = model.Buffers };
    }

    /// <summary>PyTorch's reset_parameters for the module parameter <paramref name="name"/> belongs to; nothing for a parameter of no module.</summary>
    static void Reset(string name, float[] data, IReadOnlyList<(string Name, int[] Shape)> shapes, int index, int seed)
    {
        int dot = name.LastIndexOf('.');
        if (dot < 0) return;   // cls_token, reg_token, dist_token, pos_embed: nn.Parameters, not modules
        string module = name[..dot], kind = name[(dot + 1)..];
        if (kind is not ("weight" or "bias")) return;   // ls1.gamma, ls2.gamma: LayerScale has no reset_parameters
        string last = module[(module.LastIndexOf('.') + 1)..];
        if (last.Contains("norm", StringComparison.Ordinal))
        {
            Array.Fill(data, kind == "weight" ? 1f : 0f);
            return;
        }
        // Linear (out, in) or Conv2d (out, in, kh, kw): fan_in is the weight's elements per output.
        var weightShape = shapes.First(s => s.Name == module + ".weight").Shape;
        double fanIn = 1;
        for (int i = 1; i < weightShape.Length; i++) fanIn *= weightShape[i];
        double bound = 1 / Math.Sqrt(fanIn);
        var random = new SplitMix64(seed, index);
        for (int i = 0; i < data.Length; i++) data[i] = (float)((2 * random.NextDouble() - 1) * bound);
    }
}
