using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Server.Explaining;

/// <summary>
/// A copy of what one <see cref="ExplanationPass"/> over one image produced, kept after the pass gave its buffers back
/// to the model's arena. Every explainer reads only these arrays (and the model, for methods that run more forwards),
/// so replaying the record lets a method run again with other options (rollout's start layer, head fusion, discard
/// ratio, LRP's start layer) without a new forward, backward or relevance pass. It also holds the attention the
/// "where does this patch look" view shows.
/// </summary>
public sealed class PassRecord
{
    /// <summary>The class the pass explains.</summary>
    public required int Target { get; init; }
    /// <summary>(K) logits.</summary>
    public required float[] Logits { get; init; }
    /// <summary>Attention probabilities per block, (1, H, N, N).</summary>
    public required float[][] Attention { get; init; }
    /// <summary>d y / d A per block, or null.</summary>
    public float[]?[]? AttentionGradients { get; init; }
    /// <summary>d y / d input (1, C, H, W), or null.</summary>
    public float[]? InputGradient { get; init; }
    /// <summary>LRP relevance of the attention per block, or null.</summary>
    public float[]?[]? AttentionRelevance { get; init; }
    /// <summary>LRP relevance of the pixels (1, H, W), or null.</summary>
    public float[]? PixelRelevance { get; init; }
    /// <summary>The readout token weights (1, N).</summary>
    public required float[] ReadoutWeights { get; init; }

    /// <summary>Bytes the arrays hold, for the cache's bound.</summary>
    public long Bytes =>
        4L * (Logits.Length + Attention.Sum(a => (long)a.Length) + (AttentionGradients?.Sum(a => (long)(a?.Length ?? 0)) ?? 0)
              + (InputGradient?.Length ?? 0) + (AttentionRelevance?.Sum(a => (long)(a?.Length ?? 0)) ?? 0) + (PixelRelevance?.Length ?? 0) + ReadoutWeights.Length);

    /// <summary>
    /// Runs the pass <paramref name="requirements"/> calls for on one normalised image (1, C, H, W) and copies what it
    /// produced, exactly sized (arena buffers may be longer than their data).
    /// </summary>
    public static PassRecord Compute(VisionTransformer model, Tensor input, PassRequirements requirements, int target)
    {
        var c = model.Config;
        int attention = c.NumHeads * c.NumTokens * c.NumTokens, pixels = c.ImageHeight * c.ImageWidth;
        using var pass = ExplanationPass.Compute(model, input, requirements | PassRequirements.Attention, [target]);
        return new PassRecord
        {
            Target = pass.Targets[0],
            Logits = pass.Logits.AsSpan(0, c.NumClasses).ToArray(),
            Attention = pass.Attention.Select(a => a.AsSpan(0, attention).ToArray()).ToArray(),
            AttentionGradients = pass.AttentionGradients?.Select(a => a?.AsSpan(0, attention).ToArray()).ToArray(),
            InputGradient = pass.InputGradient?.AsSpan(0, c.InChannels * pixels).ToArray(),
            AttentionRelevance = pass.AttentionRelevance?.Select(a => a?.AsSpan(0, attention).ToArray()).ToArray(),
            PixelRelevance = pass.PixelRelevance?.AsSpan(0, pixels).ToArray(),
            ReadoutWeights = pass.ReadoutWeightsOf(0).ToArray(),
        };
    }

    /// <summary>The record as a pass explainers can read again; disposing it gives nothing back (it owns no arena buffer).</summary>
    public ExplanationPass Replay(VisionTransformer model, Tensor input) => new()
    {
        Model = model, Batch = 1, Input = input, Logits = Logits, Targets = [Target], Attention = Attention,
        AttentionGradients = AttentionGradients, InputGradient = InputGradient, AttentionRelevance = AttentionRelevance,
        PixelRelevance = PixelRelevance, ReadoutWeights = ReadoutWeights,
    };
}
