using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// A backward pass over a recorded forward pass: reads what the layers saved and, when parameter gradients are asked
/// for, the tensors to accumulate them into (by parameter name).
/// </summary>
public sealed class BackwardContext(ForwardContext forward, IReadOnlyDictionary<string, Tensor>? gradients)
    : PassContext(forward.Backend, forward.Arena, forward.Batch, forward.Outputs)
{
    /// <summary>The recorded forward pass.</summary>
    public ForwardContext Forward { get; } = forward;

    /// <summary>Whether parameter gradients are accumulated.</summary>
    public bool ComputesParameterGradients => gradients != null;

    /// <summary>The gradient accumulator of <paramref name="parameter"/>, or null when none is asked for.</summary>
    public Tensor? GradientOf(Parameter parameter) =>
        gradients == null ? null
            : gradients.TryGetValue(parameter.Name, out var g) ? g
            : throw new InvalidOperationException($"no gradient accumulator for parameter {parameter.Name}");

    /// <summary>What <paramref name="layer"/> saved in the forward pass.</summary>
    public T Saved<T>(Layer layer) where T : class => Forward.Saved<T>(layer);
}
