using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Model;

/// <summary>
/// A ViT classifier (Dosovitskiy et al. 2021) in timm's pre-norm form, as a list of layers
/// (<see cref="VitArchitecture"/>): the forward pass is a loop over them, and <see cref="BackwardPass"/> and
/// <see cref="Relevance.RelevancePass"/> loop over the same list backwards. Every tensor operation runs on
/// <see cref="Backend"/>, and activations come from a shared <see cref="BufferArena"/>, so repeated passes allocate
/// nothing once warm.
/// </summary>
public sealed class VisionTransformer
{
    /// <summary>The process-wide arena every model's passes rent activations from by default.</summary>
    public static BufferArena SharedBuffers { get; } = BufferArena.ForThisMachine();

    /// <summary>A model of <paramref name="config"/> with <paramref name="weights"/>, laid out by <see cref="VitArchitecture"/>.</summary>
    public VisionTransformer(VitConfig config, VitWeights weights) : this(config, weights, null) { }

    /// <summary>
    /// A model with a layer list of the caller's (a variant built from the same layer kinds); it must compute what
    /// <paramref name="config"/> describes, and its blocks must be <see cref="TransformerBlock"/>s numbered from 0.
    /// </summary>
    public VisionTransformer(VitConfig config, VitWeights weights, IReadOnlyList<Layer>? layers)
    {
        config.Validate();
        Config = config;
        Weights = weights;
        Layers = layers ?? VitArchitecture.Build(config, weights);
        Blocks = Layers.OfType<TransformerBlock>().ToList();
        for (int i = 0; i < Blocks.Count; i++)
            if (Blocks[i].Index != i || Blocks[i].Attention.Block != i) throw new ArgumentException($"block {i} is numbered {Blocks[i].Index}");
        FirstBlock = Blocks.Count == 0 ? Layers.Count : IndexOf(Blocks[0]);
        LeadingRows = FindLeadingRows();
    }

    /// <summary>
    /// What a logits-only pass may narrow (<see cref="ForwardContext.LeadingRowsFrom"/>): the last block and the rows a
    /// prefix-token readout reads, when only LayerNorms sit between them; null when the readout reads other tokens (a
    /// patch mean, an attention pool) or the layer list is another shape.
    /// </summary>
    (int Block, int Rows)? FindLeadingRows()
    {
        if (Blocks.Count == 0) return null;
        int afterBlocks = IndexOf(Blocks[^1]) + 1;
        for (int i = afterBlocks; i < Layers.Count; i++)
        {
            if (Layers[i] is Readout { ReadoutKind: ReadoutKind.PrefixTokens } readout) return (Blocks.Count - 1, readout.Rows);
            if (Layers[i] is not LayerNormalization) return null;
        }
        return null;
    }

    /// <summary>The last block and the readout's rows, when a logits-only pass can compute that block for those rows alone.</summary>
    (int Block, int Rows)? LeadingRows { get; }

    int IndexOf(Layer layer)
    {
        for (int i = 0; i < Layers.Count; i++) if (ReferenceEquals(Layers[i], layer)) return i;
        return -1;
    }

    /// <summary>The architecture.</summary>
    public VitConfig Config { get; }

    /// <summary>The parameters, shared with the layers.</summary>
    public VitWeights Weights { get; }

    /// <summary>The top-level layers in forward order.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>The transformer blocks in order.</summary>
    public IReadOnlyList<TransformerBlock> Blocks { get; }

    /// <summary>Index in <see cref="Layers"/> of the first block: the layers before it embed the image.</summary>
    public int FirstBlock { get; }

    /// <summary>Where tensor operations run.</summary>
    public ComputeBackend Backend { get; init; } = ComputeBackend.Cpu;

    /// <summary>Where activations come from.</summary>
    public BufferArena Buffers { get; init; } = SharedBuffers;

    /// <summary>Number of classifier heads averaged at eval: 2 for a distilled DeiT, else 1.</summary>
    public int HeadCount => Config.Distilled ? 2 : 1;

    /// <summary>
    /// Logits (B, K) of a normalised batch (B, C, H, W). With a readout of the class (and distillation) token, the last
    /// block runs for the read tokens alone after its attention (<see cref="ForwardContext.LeadingRowsFrom"/>).
    /// </summary>
    public Tensor Forward(Tensor images)
    {
        CheckInput(images);
        var context = new ForwardContext(Backend, Buffers, images.Dim(0), recording: false, new PassOutputs(Config.Depth, PassRequirements.None))
        {
            LeadingRowsFrom = LeadingRows,
        };
        var logits = LayerSequence.Forward(Layers, images, context);
        var result = new Tensor((float[])logits.Data.Clone(), images.Dim(0), Config.NumClasses);
        context.Return(logits);
        return result;
    }

    /// <summary>
    /// Runs the network; with <paramref name="record"/> keeps what a backward or relevance pass needs, and the
    /// intermediate results <paramref name="keep"/> asks for.
    /// </summary>
    public ForwardTrace Run(Tensor images, bool record, PassRequirements keep = PassRequirements.None)
    {
        CheckInput(images);
        var context = new ForwardContext(Backend, Buffers, images.Dim(0), record, new PassOutputs(Config.Depth, keep));
        var x = images;
        foreach (var layer in Layers)
        {
            context.BeginLayer(layer);
            var y = layer.Forward(x, context);
            if (!record && !ReferenceEquals(x.Data, images.Data) && !ReferenceEquals(x.Data, y.Data)) context.Return(x);
            x = y;
        }
        var logits = (float[])x.Data.Clone();
        if (!record) context.Return(x);
        return new ForwardTrace(this, context, images, logits);
    }

    /// <summary>
    /// Logits (B, K) of the network run on a subset of each image's patch tokens: the prefix tokens (class, distillation,
    /// registers) and the patches listed in <paramref name="keptPatches"/> (indices into the patch grid, row-major; the
    /// counts may differ between samples, see <see cref="ForwardEmbedded(Tensor, IReadOnlyList{int[]}, BufferArena?)"/>), each with its own position embedding; the other patches are dropped from the
    /// sequence, not replaced. Transformer Input Sampling and the token deletion curves run the model this way. An
    /// average-pooling readout averages the kept patches.
    /// </summary>
    /// <param name="images">Normalised images (B, C, H, W).</param>
    /// <param name="keptPatches">Per sample, the patches kept.</param>
    /// <param name="buffers">The arena activations come from (default the model's): a caller running many sequence
    /// lengths passes its own, so that buffers of lengths never asked for again do not fill the shared one.</param>
    public Tensor ForwardTokens(Tensor images, IReadOnlyList<int[]> keptPatches, BufferArena? buffers = null) =>
        ForwardEmbedded(EmbedTokens(images), keptPatches, buffers);

    /// <summary>The embedded token sequence (B, N, D) of normalised images: patch embedding, prefix tokens and position embedding, in a new tensor.</summary>
    public Tensor EmbedTokens(Tensor images)
    {
        CheckInput(images);
        var context = new ForwardContext(Backend, Buffers, images.Dim(0), recording: false, new PassOutputs(Config.Depth, PassRequirements.None));
        var x = images;
        for (int i = 0; i < FirstBlock; i++)
        {
            var y = Layers[i].Forward(x, context);
            if (!ReferenceEquals(x.Data, images.Data) && !ReferenceEquals(x.Data, y.Data)) context.Return(x);
            x = y;
        }
        var result = new Tensor(x.Data.AsSpan(0, (int)Tensor.ElementCount(x.Shape)).ToArray(), x.Shape);
        if (!ReferenceEquals(x.Data, images.Data)) context.Return(x);
        return result;
    }

    /// <summary>
    /// <see cref="ForwardTokens"/> from sequences already embedded (<see cref="EmbedTokens"/>): sample s of the result
    /// keeps <paramref name="keptPatches"/>[s] of sequence s of <paramref name="embedded"/>, or of its only sequence when
    /// it holds one, so many subsets of one image need one patch embedding. The lists may differ in length: the
    /// sequences are then packed one after another without padding (<see cref="PackedSequences"/>), so a batch costs
    /// the tokens it keeps.
    /// </summary>
    public Tensor ForwardEmbedded(Tensor embedded, IReadOnlyList<int[]> keptPatches, BufferArena? buffers = null) =>
        ForwardEmbedded(new EmbeddedTokens(embedded, null), keptPatches, buffers);

    /// <summary>
    /// The embedded sequences of normalised images (<see cref="EmbedTokens"/>) and, when the first block starts with a
    /// LayerNorm and its attention (timm's pre-norm block), the q, k, v its attention projects from every token: what
    /// all subsets of the images share (<see cref="EmbeddedTokens"/>).
    /// </summary>
    public EmbeddedTokens EmbedForSubsets(Tensor images)
    {
        var tokens = EmbedTokens(images);
        if (Blocks.Count == 0 || Blocks[0].Residuals.Count == 0 || Blocks[0].Residuals[0].Branch is not [LayerNormalization norm, Attention attention, ..]
            || !ReferenceEquals(attention, Blocks[0].Attention))
            return new EmbeddedTokens(tokens, null);
        var context = new ForwardContext(Backend, Buffers, tokens.Dim(0), recording: false, new PassOutputs(Config.Depth, PassRequirements.None));
        var normalized = norm.Forward(tokens, context);
        var qkv = attention.Qkv.Forward(normalized, context);
        context.Return(normalized);
        var result = new Tensor(qkv.Data.AsSpan(0, (int)Tensor.ElementCount(qkv.Shape)).ToArray(), qkv.Shape);
        context.Return(qkv);
        return new EmbeddedTokens(tokens, result);
    }

    /// <summary>
    /// <see cref="ForwardEmbedded(Tensor, IReadOnlyList{int[]}, BufferArena?)"/> from what all subsets share: with the
    /// first block's q, k, v given, each subset's are gathered from them rather than projected again (the same numbers:
    /// up to that attention every token is computed alone).
    /// </summary>
    public Tensor ForwardEmbedded(EmbeddedTokens source, IReadOnlyList<int[]> keptPatches, BufferArena? buffers = null)
    {
        var embedded = source.Tokens;
        var c = Config;
        int n = c.NumTokens, d = c.EmbedDim, prefix = c.NumPrefixTokens, b = keptPatches.Count;
        if (embedded.Rank != 3 || embedded.Dim(1) != n || embedded.Dim(2) != d)
            throw new ArgumentException($"embedded tokens are {embedded}, the model's sequence is [B, {n}, {d}]");
        int sequences = embedded.Dim(0);
        if (sequences != 1 && sequences != b) throw new ArgumentException($"{b} patch lists for {sequences} embedded sequences");
        if (b == 0) throw new ArgumentException("no patch list");
        bool sameLength = true;
        long total = 0;
        foreach (var list in keptPatches)
        {
            if (list.Length == 0 && c.Pool != GlobalPool.Token) throw new ArgumentException("an average-pooling readout needs at least one patch token");
            if (prefix + list.Length == 0) throw new ArgumentException("a model without prefix tokens needs at least one patch token");
            sameLength &= list.Length == keptPatches[0].Length;
            total += prefix + list.Length;
            foreach (int p in list)
                if ((uint)p >= (uint)c.NumPatches) throw new ArgumentOutOfRangeException(nameof(keptPatches), $"patch {p} of {c.NumPatches}");
        }
        if (total > Array.MaxLength / d) throw new ArgumentException($"{total} tokens in one pass are more than an array can hold");
        // A relative position bias or a rotary embedding depends on where each kept token sits, which packed attention does not carry:
        // such a model runs each length as its own batch.
        if (!sameLength && Blocks.Any(block => block.Attention.RelativePositionBias != null || block.Attention.Rope != null))
            return ByLength(source, keptPatches, buffers);
        // Equal lengths run as an ordinary batch (B, prefix + kept, D); different ones packed as (1, T, D).
        var packed = sameLength ? null : new PackedSequences(keptPatches.Select(l => prefix + l.Length).ToArray());
        var context = new ForwardContext(Backend, buffers ?? Buffers, b, recording: false, new PassOutputs(c.Depth, PassRequirements.None)) { Packed = packed, KeptPatches = keptPatches, LeadingRowsFrom = LeadingRows };
        Tensor Gather(Tensor from, int width)
        {
            var to = packed == null ? context.Rent(b, prefix + keptPatches[0].Length, width) : context.Rent(1, packed.TotalTokens, width);
            long row = 0;
            for (int s = 0; s < b; s++)
            {
                long start = sequences == 1 ? 0 : (long)s * n * width;
                Backend.Copy(from, start, to, row * width, (long)prefix * width);
                row += prefix;
                foreach (int p in keptPatches[s]) Backend.Copy(from, start + (long)(prefix + p) * width, to, row++ * width, width);
            }
            return to;
        }
        var x = Gather(embedded, d);
        if (source.FirstQkv is { } qkv) context.GivenQkv = (Blocks[0].Attention, Gather(qkv, 3 * d));
        for (int i = FirstBlock; i < Layers.Count; i++)
        {
            var y = Layers[i].Forward(x, context);
            if (!ReferenceEquals(x.Data, y.Data)) context.Return(x);
            x = y;
        }
        var logits = new Tensor(x.Data.AsSpan(0, b * c.NumClasses).ToArray(), b, c.NumClasses);
        context.Return(x);
        return logits;
    }

    /// <summary><see cref="ForwardEmbedded(EmbeddedTokens, IReadOnlyList{int[]}, BufferArena?)"/> one batch per distinct length, the logits put back in the samples' order.</summary>
    Tensor ByLength(EmbeddedTokens all, IReadOnlyList<int[]> keptPatches, BufferArena? buffers)
    {
        int b = keptPatches.Count, k = Config.NumClasses;
        bool shared = all.Tokens.Dim(0) == 1;
        var logits = new Tensor(b, k);
        Tensor? Pick(Tensor? from, int[] samples)
        {
            if (from == null || shared) return from;
            long size = (long)from.Dim(1) * from.Dim(2);
            var picked = new Tensor(samples.Length, from.Dim(1), from.Dim(2));
            for (int j = 0; j < samples.Length; j++) Backend.Copy(from, samples[j] * size, picked, j * size, size);
            return picked;
        }
        foreach (var group in Enumerable.Range(0, b).GroupBy(s => keptPatches[s].Length))
        {
            var samples = group.ToArray();
            var source = new EmbeddedTokens(Pick(all.Tokens, samples)!, Pick(all.FirstQkv, samples));
            var part = ForwardEmbedded(source, samples.Select(s => keptPatches[s]).ToArray(), buffers);
            for (int j = 0; j < samples.Length; j++) part.Data.AsSpan(j * k, k).CopyTo(logits.Data.AsSpan(samples[j] * k, k));
        }
        return logits;
    }

    /// <summary>The output tokens of every block (Depth tensors of (B, N, D), new arrays), from one forward pass.</summary>
    public IReadOnlyList<Tensor> BlockOutputs(Tensor images)
    {
        CheckInput(images);
        var context = new ForwardContext(Backend, Buffers, images.Dim(0), recording: false, new PassOutputs(Config.Depth, PassRequirements.None));
        var outputs = new List<Tensor>(Config.Depth);
        var x = images;
        for (int i = 0; i < FirstBlock + Blocks.Count; i++)
        {
            var y = Layers[i].Forward(x, context);
            if (!ReferenceEquals(x.Data, images.Data) && !ReferenceEquals(x.Data, y.Data)) context.Return(x);
            x = y;
            if (i >= FirstBlock) outputs.Add(new Tensor(x.Data.AsSpan(0, (int)Tensor.ElementCount(x.Shape)).ToArray(), x.Shape));
        }
        if (!ReferenceEquals(x.Data, images.Data)) context.Return(x);
        return outputs;
    }

    /// <summary>
    /// What block <paramref name="block"/>'s attention branch reads: the output of its first LayerNorm (timm's
    /// blocks[block].norm1), (B, N, D), in a new tensor. ViT-CX makes its masks from these token embeddings.
    /// </summary>
    public Tensor AttentionInput(Tensor images, int block)
    {
        CheckInput(images);
        if ((uint)block >= (uint)Config.Depth) throw new ArgumentOutOfRangeException(nameof(block), $"block {block} of a {Config.Depth}-block model");
        var norm = Blocks[block].Residuals[0].Branch[0] as LayerNormalization
            ?? throw new InvalidOperationException($"block {block}'s attention branch does not start with a LayerNorm");
        var context = new ForwardContext(Backend, Buffers, images.Dim(0), recording: false, new PassOutputs(Config.Depth, PassRequirements.None));
        var x = images;
        foreach (var layer in Layers)
        {
            if (ReferenceEquals(layer, Blocks[block])) break;
            var y = layer.Forward(x, context);
            if (!ReferenceEquals(x.Data, images.Data) && !ReferenceEquals(x.Data, y.Data)) context.Return(x);
            x = y;
        }
        var normalized = norm.Forward(x, context);
        var result = new Tensor(normalized.Data.AsSpan(0, (int)Tensor.ElementCount(normalized.Shape)).ToArray(), normalized.Shape);
        if (!ReferenceEquals(normalized.Data, x.Data)) context.Return(normalized);
        if (!ReferenceEquals(x.Data, images.Data)) context.Return(x);
        return result;
    }

    void CheckInput(Tensor images)
    {
        var c = Config;
        if (images.Rank != 4 || images.Dim(1) != c.InChannels || images.Dim(2) != c.ImageHeight || images.Dim(3) != c.ImageWidth)
            throw new ArgumentException($"input is {images}, the model expects [B, {c.InChannels}, {c.ImageHeight}, {c.ImageWidth}]");
    }
}
