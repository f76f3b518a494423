using Vitmix.Model;

namespace Vitmix.Explain;

/// <summary>Options of the base methods that a user can set.</summary>
public sealed record ExplainerOptions
{
    /// <summary>Attention Rollout start layer (ViTmiX's script uses 3; clamped to the last block).</summary>
    public int RolloutStartLayer { get; init; }
    public HeadFusion RolloutHeadFusion { get; init; } = HeadFusion.Mean;
    public float RolloutDiscardRatio { get; init; }
    /// <summary>Transformer attribution start layer (0 in ViTmiX and Chefer et al.).</summary>
    public int LrpStartLayer { get; init; }
}

/// <summary>
/// A set of explainers computed from one shared pass: parses method lists, runs the pass once per batch with the
/// union of the requirements, and hands every method its maps.
/// </summary>
public sealed class ExplainerSet
{
    /// <summary>The method names a user can ask for, in their canonical order.</summary>
    public static readonly string[] MethodNames = ["rollout", "gradcam", "saliency", "lrp", "fulllrp", "lrp-rollout", "lrp-last"];
    /// <summary>What "all" means: the four ViTmiX methods and full LRP.</summary>
    public static readonly string[] AllMethods = ["rollout", "gradcam", "saliency", "lrp", "fulllrp"];

    public IReadOnlyList<IExplainer> Explainers { get; }
    public PassRequirements Requirements { get; }

    public ExplainerSet(IEnumerable<IExplainer> explainers)
    {
        Explainers = explainers.ToList();
        Requirements = Explainers.Aggregate(PassRequirements.None, (r, e) => r | e.Requires);
    }

    /// <summary>"rollout,gradcam,saliency,lrp,fulllrp" or "all"; aliases: cam = gradcam, transformer-attribution = lrp.</summary>
    public static ExplainerSet Parse(string methods, ExplainerOptions? options = null)
    {
        options ??= new ExplainerOptions();
        var names = new List<string>();
        foreach (var raw in methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = raw.ToLowerInvariant() switch
            {
                "cam" or "grad-cam" => "gradcam",
                "transformer-attribution" or "chefer" => "lrp",
                "full-lrp" => "fulllrp",
                var n => n,
            };
            if (name == "all") names.AddRange(AllMethods);
            else if (MethodNames.Contains(name)) names.Add(name);
            else throw new ArgumentException($"unknown method '{raw}'; known: {string.Join(", ", MethodNames)}, all");
        }
        if (names.Count == 0) throw new ArgumentException("no method given");
        return new ExplainerSet(names.Distinct().Select(n => Create(n, options)));
    }

    public static IExplainer Create(string name, ExplainerOptions options) => name switch
    {
        "rollout" => new AttentionRollout(options.RolloutStartLayer, options.RolloutHeadFusion, options.RolloutDiscardRatio),
        "gradcam" => new AttentionGradCam(),
        "saliency" => new Saliency(),
        "lrp" => new TransformerAttribution(options.LrpStartLayer),
        "fulllrp" => new FullLrp(),
        "lrp-rollout" => new LrpRollout(),
        "lrp-last" => new LrpLastLayer(),
        _ => throw new ArgumentException($"unknown method '{name}'"),
    };

    /// <summary>Explains every image of a normalised batch (B,C,H,W) with one shared pass.</summary>
    /// <param name="targets">Class per image (negative: its predicted class), or null for the predicted class of each.</param>
    public IReadOnlyList<ImageExplanation> Explain(VisionTransformer model, Tensor batch, int[]? targets = null)
    {
        var pass = ExplanationPass.Compute(model, batch, Requirements, targets);
        int k = model.Config.NumClasses;
        var result = new ImageExplanation[pass.Batch];
        for (int i = 0; i < pass.Batch; i++)
        {
            var logits = pass.Logits.AsSpan(i * k, k).ToArray();
            var probabilities = Probabilities.Softmax(logits);
            int predicted = Array.IndexOf(probabilities, probabilities.Max());
            var maps = new Dictionary<string, Heatmap>();
            foreach (var explainer in Explainers)
                foreach (var (key, map) in explainer.Explain(pass, i)) maps[key] = map;
            result[i] = new ImageExplanation(predicted, probabilities[predicted], pass.Targets[i], probabilities[pass.Targets[i]], logits, maps);
        }
        return result;
    }
}
