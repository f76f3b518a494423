using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>A learnable tensor of a layer, under its name in timm's state dict (<c>blocks.0.attn.qkv.weight</c>).</summary>
/// <param name="Name">The state-dict name, which also names its gradient.</param>
/// <param name="Value">The values, shared with <see cref="Model.VitWeights"/> (an optimiser updates them in place).</param>
public sealed record Parameter(string Name, Tensor Value);
