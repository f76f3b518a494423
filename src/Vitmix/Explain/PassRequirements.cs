namespace Vitmix.Explain;

/// <summary>What an explainer needs from the shared pass; the pass computes the union once for all methods.</summary>
[Flags]
public enum PassRequirements
{
    /// <summary>Nothing beyond the forward pass's logits.</summary>
    None = 0,
    /// <summary>Every block's attention probabilities (forward only).</summary>
    Attention = 1,
    /// <summary>d score / d attention probabilities per block (backward to the first block needed).</summary>
    AttentionGradients = 2,
    /// <summary>d score / d input pixels (full backward).</summary>
    InputGradient = 4,
    /// <summary>LRP relevance of every block's attention probabilities (relevance pass).</summary>
    AttentionRelevance = 8,
    /// <summary>LRP relevance down to the pixels (relevance pass through the patch embedding).</summary>
    PixelRelevance = 16,
}
