using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>Intermediate results an explanation asks a pass to keep beyond the pass itself.</summary>
[Flags]
public enum PassTaps
{
    /// <summary>Nothing beyond the logits.</summary>
    None = 0,
    /// <summary>Every block's attention probabilities (B, H, N, N).</summary>
    AttentionProbabilities = 1,
    /// <summary>The gradient of every block's attention probabilities (B, H, N, N).</summary>
    AttentionGradients = 2,
    /// <summary>The gradient of the input image (B, C, H, W).</summary>
    InputGradient = 4,
    /// <summary>The relevance of every block's attention probabilities (B, H, N, N).</summary>
    AttentionRelevance = 8,
    /// <summary>The relevance of the input pixels (B, C, H, W).</summary>
    InputRelevance = 16,
}

/// <summary>
/// What the layers of a pass leave for explainers (<see cref="PassTaps"/>). Its arrays come from the model's buffer
/// arena; <see cref="Release"/> gives them back.
/// </summary>
public sealed class PassOutputs(int depth, PassTaps taps)
{
    /// <summary>What was asked for.</summary>
    public PassTaps Taps { get; private set; } = taps;

    /// <summary>Asks for <paramref name="tap"/> too (before the pass that produces it runs).</summary>
    public void Request(PassTaps tap) => Taps |= tap;

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

    /// <summary>Whether <paramref name="tap"/> was asked for.</summary>
    public bool Wants(PassTaps tap) => (Taps & tap) != 0;

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
        InputGradient = InputRelevance = null;
    }
}
