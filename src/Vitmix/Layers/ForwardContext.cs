using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// A forward pass in progress, and when <see cref="Recording"/> what it recorded: each layer's saved activations and
/// the buffers every top-level layer owns, so a shared explanation pass can release a block as soon as both its
/// backward and its relevance are done with it.
/// </summary>
public sealed class ForwardContext : PassContext
{
    readonly Dictionary<Layer, object> saved = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<Layer, List<float[]>> owned = new(ReferenceEqualityComparer.Instance);
    List<float[]>? current;

    /// <param name="backend">Computes every tensor operation.</param>
    /// <param name="arena">Where buffers come from.</param>
    /// <param name="batch">Samples in the pass.</param>
    /// <param name="recording">Keep what the backward and relevance passes need.</param>
    /// <param name="outputs">What explainers asked to keep.</param>
    public ForwardContext(ComputeBackend backend, BufferArena arena, int batch, bool recording, PassOutputs outputs)
        : base(backend, arena, batch, outputs) => Recording = recording;

    /// <summary>Whether layers keep what their backward and relevance need.</summary>
    public bool Recording { get; }

    /// <summary>
    /// For a pass on a subset of the patch tokens (<see cref="Model.VisionTransformer.ForwardEmbedded(Engine.Tensor, IReadOnlyList{int[]}, BufferArena?)"/>), each
    /// sample's kept patches, in sequence order after the prefix tokens; null for the full sequence. Layers whose
    /// computation depends on where a token sits (a relative position bias) read it.
    /// </summary>
    public IReadOnlyList<int[]>? KeptPatches { get; init; }

    /// <summary>
    /// Set when the tokens are sequences of different lengths packed into one (1, T, D) tensor: attention and the readout
    /// then treat each sequence on its own. Packed passes do not record.
    /// </summary>
    public PackedSequences? Packed
    {
        get => packed;
        init => packed = value == null || !Recording ? value : throw new ArgumentException("a packed pass cannot record");
    }

    PackedSequences? packed;

    /// <summary>
    /// For a pass that needs only the logits of a readout of the leading prefix tokens (the class token, and the
    /// distillation token of a distilled DeiT): from the attention of block <c>Block</c> on, only the first <c>Rows</c>
    /// tokens of each sequence are computed, since no later layer mixes tokens and the readout reads no other (the other
    /// tokens' projection and MLP in the last block are about 6 % of a ViT-B's FLOPs). Null to compute every token. A recording pass ignores it.
    /// </summary>
    public (int Block, int Rows)? LeadingRowsFrom
    {
        get => leadingRows;
        init => leadingRows = value is not { } v || (v.Rows > 0 && v.Block >= 0) ? value : throw new ArgumentException($"leading rows {v} from block {v.Block}");
    }

    readonly (int Block, int Rows)? leadingRows;

    /// <summary>
    /// Once the attention of <see cref="LeadingRowsFrom"/>'s block has run: the rows of its input that its outputs
    /// continue, sequence after sequence (what the residual around it adds them to); null before.
    /// </summary>
    public int[]? LeadingRowsKept { get; private set; }

    /// <summary>
    /// Marks the narrowing of every sequence to its leading rows (<see cref="LeadingRowsFrom"/>): the activations are
    /// (S, Rows, D) from here on, one sequence per sample, so they are no longer packed.
    /// </summary>
    public void NarrowToLeadingRows(int[] keptRows)
    {
        if (Recording) throw new InvalidOperationException("a recording pass keeps every token");
        LeadingRowsKept = keptRows;
        packed = null;
    }

    /// <summary>
    /// q, k, v that an attention layer takes as given instead of projecting its input: the rows a pass on a subset of
    /// tokens gathered from the whole sequence's (<see cref="Model.EmbeddedTokens"/>). Taken once, by that layer.
    /// </summary>
    public (Attention Layer, Tensor Qkv)? GivenQkv { get; set; }

    /// <summary>The q, k, v given for <paramref name="layer"/>, now the taker's to return; null when none was given.</summary>
    public Tensor? TakeGivenQkv(Attention layer)
    {
        if (GivenQkv is not { } given || !ReferenceEquals(given.Layer, layer)) return null;
        GivenQkv = null;
        return given.Qkv;
    }

    /// <summary>Attributes the buffers rented from now on to <paramref name="layer"/> (a top-level layer of the model).</summary>
    public void BeginLayer(Layer layer)
    {
        if (!Recording) return;
        if (!owned.TryGetValue(layer, out current)) owned[layer] = current = [];
    }

    /// <inheritdoc/>
    public override Tensor Rent(params int[] shape)
    {
        var t = base.Rent(shape);
        current?.Add(t.Data);
        return t;
    }

    /// <inheritdoc/>
    public override void Return(Tensor tensor)
    {
        if (current != null && !current.Remove(tensor.Data)) return; // not rented in this layer: not ours to return
        base.Return(tensor);
    }

    /// <summary>
    /// Hands a rented tensor over to the pass's outputs: it survives the release of its layer and is returned with the
    /// outputs (<see cref="PassOutputs.Release"/>).
    /// </summary>
    public void Detach(Tensor tensor)
    {
        foreach (var list in owned.Values)
            if (list.Remove(tensor.Data)) return;
    }

    /// <summary>Keeps <paramref name="record"/> for <paramref name="layer"/>'s backward and relevance (when recording).</summary>
    public void Save(Layer layer, object record)
    {
        if (Recording) saved[layer] = record;
    }

    /// <summary>What <paramref name="layer"/> saved; throws when the pass did not record it or released it already.</summary>
    public T Saved<T>(Layer layer) where T : class =>
        saved.TryGetValue(layer, out var r) ? (T)r
            : throw new InvalidOperationException($"{layer}: no recorded activations (the forward pass did not record, or the layer was already released)");

    /// <summary>Gives back every buffer <paramref name="layer"/> owns and forgets what it and its children saved.</summary>
    public void Release(Layer layer)
    {
        foreach (var l in layer.SelfAndDescendants()) saved.Remove(l);
        if (owned.Remove(layer, out var list))
            foreach (var buffer in list) Arena.Return(buffer);
        if (ReferenceEquals(list, current)) current = null;
    }

    /// <summary>Releases every layer still held.</summary>
    public void ReleaseAll()
    {
        foreach (var layer in owned.Keys.ToList()) Release(layer);
        saved.Clear();
    }
}
