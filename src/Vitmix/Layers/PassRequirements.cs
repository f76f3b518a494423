namespace Vitmix.Layers;

/// <summary>
/// What an explainer needs from the shared pass, and so what the layers of a pass keep for it beyond the pass itself
/// (<see cref="PassOutputs"/>); the pass computes the union once for all methods.
/// </summary>
[Flags]
public enum PassRequirements
{
    /// <summary>Nothing beyond the forward pass's logits.</summary>
    None = 0,
    /// <summary>Every block's attention probabilities (B, H, N, N) (forward only).</summary>
    Attention = 1,
    /// <summary>d score / d attention probabilities per block (B, H, N, N) (backward).</summary>
    AttentionGradients = 2,
    /// <summary>d score / d input pixels (B, C, H, W) (full backward).</summary>
    InputGradient = 4,
    /// <summary>LRP relevance of every block's attention probabilities (B, H, N, N) (relevance pass).</summary>
    AttentionRelevance = 8,
    /// <summary>LRP relevance of the input pixels (B, C, H, W) (relevance pass through the patch embedding).</summary>
    PixelRelevance = 16,
    /// <summary>The readout's token weights (B, N) (forward only; <see cref="ReadoutLayer"/>).</summary>
    ReadoutWeights = 32,
}
