using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>A relevance (LRP) pass over a recorded forward pass, with the composite that picks each layer's rules.</summary>
public sealed class RelevanceContext(ForwardContext forward, LrpComposite composite)
    : PassContext(forward.Backend, forward.Arena, forward.Batch, forward.Outputs)
{
    /// <summary>The recorded forward pass.</summary>
    public ForwardContext Forward { get; } = forward;

    /// <summary>Which rule applies at each site of each layer kind.</summary>
    public LrpComposite Composite { get; } = composite;

    /// <summary>What <paramref name="layer"/> saved in the forward pass.</summary>
    public T Saved<T>(Layer layer) where T : class => Forward.Saved<T>(layer);
}
