using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Model;

/// <summary>
/// Reverse-mode differentiation of a recorded forward pass: from dL/dlogits back through the model's layers, last
/// first, optionally keeping dL/dA for every block's attention probabilities and accumulating parameter gradients.
/// Samples are independent, so a batch of per-sample scores differentiates each sample on its own.
/// </summary>
public sealed class BackwardPass : LayerPass
{
    readonly BackwardContext _context;

    /// <param name="model">The network the trace was recorded on.</param>
    /// <param name="trace">A recorded forward pass (<see cref="VisionTransformer.Run"/> with record).</param>
    /// <param name="gradients">When non-null, parameter gradients are added into it (see <see cref="VitGradients.ZerosLike"/>).</param>
    public BackwardPass(VisionTransformer model, ForwardTrace trace, VitWeights? gradients = null)
        : this(model, trace, new BackwardContext(trace.Context, GradientsByName(model, gradients))) { }

    BackwardPass(VisionTransformer model, ForwardTrace trace, BackwardContext context) : base(model, trace, context) => _context = context;

    static Dictionary<string, Tensor>? GradientsByName(VisionTransformer model, VitWeights? gradients)
    {
        if (gradients == null) return null;
        var named = gradients.Named().ToDictionary(p => p.Name, p => p.Data);
        return model.Layers.SelectMany(l => l.SelfAndDescendants()).SelectMany(l => l.Parameters)
            .ToDictionary(p => p.Name, p => new Tensor(named.TryGetValue(p.Name, out var g) ? g
                : throw new ArgumentException($"the gradients have no entry for parameter {p.Name}"), p.Value.Shape));
    }

    /// <summary>Keep dL/dA of every block's attention probabilities (<see cref="AttentionGradients"/>).</summary>
    public bool RecordAttentionGradients
    {
        get => Outputs.Wants(PassRequirements.AttentionGradients);
        init { if (value) Outputs.Request(PassRequirements.AttentionGradients); }
    }

    /// <summary>dL/dA per block (B, H, N, N), filled as the pass goes when <see cref="RecordAttentionGradients"/>.</summary>
    public float[]?[] AttentionGradients => Outputs.AttentionGradients.Select(t => t?.Data).ToArray();

    private protected override Tensor Through(Layer layer, Tensor output) => layer.Backward(output, _context);
}
