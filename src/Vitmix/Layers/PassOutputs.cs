using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// What the layers of a pass leave for explainers (<see cref="PassRequirements"/>). Its arrays come from the model's buffer
/// arena; <see cref="Release"/> gives them back.
/// </summary>
public sealed class PassOutputs(int depth, PassRequirements requirements)
{
    /// <summary>What was asked for.</summary>
    public PassRequirements Requirements { get; private set; } = requirements;

    /// <summary>Asks for <paramref name="more"/> too (before the pass that produces it runs).</summary>
    public void Request(PassRequirements more) => Requirements |= more;

    /// <summary>Attention probabilities (B, H, N, N) per block, when asked for.</summary>
    public Tensor?[] AttentionProbabilities { get; } = new Tensor?[depth];

    /// <summary>d score / d attention probabilities (B, H, N, N) per block, when asked for.</summary>
    public Tensor?[] AttentionGradients { get; } = new Tensor?[depth];

    /// <summary>LRP relevance of the attention probabilities (B, H, N, N) per block, when asked for.</summary>
    public Tensor?[] AttentionRelevance { get; } = new Tensor?[depth];

    /// <summary>d score / d input (B, C, H, W), when asked for.</summary>
    public Tensor? InputGradient { get; set; }

    /// <summary>LRP relevance of the input (B, C, H, W), when asked for.</summary>
    public Tensor? InputRelevance { get; set; }

    /// <summary>
    /// The readout token weights (B, N) of the forward pass, when asked for: the row wᵀM that attention-based explainers
    /// read of a token×token matrix M (<see cref="ReadoutLayer"/>).
    /// </summary>
    public Tensor? ReadoutWeights { get; set; }

    /// <summary>Whether <paramref name="what"/> was asked for.</summary>
    public bool Wants(PassRequirements what) => (Requirements & what) != 0;

    /// <summary>Gives every kept tensor back to <paramref name="arena"/>; the outputs must not be read afterwards.</summary>
    public void Release(BufferArena arena)
    {
        foreach (var list in new[] { AttentionProbabilities, AttentionGradients, AttentionRelevance })
            for (int i = 0; i < list.Length; i++)
            {
                if (list[i] is { } t) arena.Return(t.Data);
                list[i] = null;
            }
        if (InputGradient is { } g) arena.Return(g.Data);
        if (InputRelevance is { } r) arena.Return(r.Data);
        if (ReadoutWeights is { } w) arena.Return(w.Data);
        InputGradient = InputRelevance = ReadoutWeights = null;
    }
}
