using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// The patch embedding: a stride-p, kernel-p convolution of the image (timm's PatchEmbed), computed as im2col and a
/// linear map on the (c, ky, kx)-flattened patches. (B, C, H, W) → (B, H/p · W/p, D), patches row-major over the grid.
/// Its relevance is the last step onto the pixels.
/// </summary>
public sealed class PatchEmbedding : Layer
{
    sealed record Record(Tensor Images, Tensor Patches);

    /// <param name="name">State-dict prefix (<c>patch_embed.proj</c>).</param>
    /// <param name="weight">(D, C, p, p) convolution weight.</param>
    /// <param name="bias">(D) bias.</param>
    public PatchEmbedding(string name, float[] weight, float[] bias, int channels, int patchSize, int dim) : base(name)
    {
        Channels = channels;
        PatchSize = patchSize;
        Dim = dim;
        Weight = new Parameter(name + ".weight", new Tensor(weight, dim, channels, patchSize, patchSize));
        Bias = new Parameter(name + ".bias", new Tensor(bias, dim));
    }

    /// <summary>Input channels.</summary>
    public int Channels { get; }

    /// <summary>Patch side in pixels.</summary>
    public int PatchSize { get; }

    /// <summary>Embedding width D.</summary>
    public int Dim { get; }

    /// <summary>The (D, C, p, p) convolution weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The bias.</summary>
    public Parameter Bias { get; }

    int PatchDim => Channels * PatchSize * PatchSize;

    /// <inheritdoc/>
    public override string Kind => "patch embedding";

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => [Weight, Bias];

    (int B, int H, int W, int Patches) Geometry(Tensor images)
    {
        if (images.Rank != 4 || images.Dim(1) != Channels || images.Dim(2) % PatchSize != 0 || images.Dim(3) % PatchSize != 0)
            throw new ArgumentException($"{Name}: input {images} is not [B, {Channels}, H, W] with H and W multiples of {PatchSize}");
        int h = images.Dim(2), w = images.Dim(3);
        return (images.Dim(0), h, w, h / PatchSize * (w / PatchSize));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var (b, h, w, p) = Geometry(input);
        var patches = context.Rent(b * p, PatchDim);
        context.Backend.Unfold(input, b, Channels, h, w, PatchSize, patches);
        var tokens = context.Rent(b, p, Dim);
        context.Backend.Linear(patches, Weight.Value, Bias.Value, tokens, b * p, PatchDim, Dim);
        if (context.Recording) context.Save(this, new Record(input, patches));
        else context.Return(patches);
        return tokens;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        var (b, h, w, p) = Geometry(r.Images);
        var dPatches = context.Rent(b * p, PatchDim);
        context.Backend.LinearBackward(outputGradient, r.Patches, Weight.Value, dPatches, b * p, PatchDim, Dim,
            context.GradientOf(Weight), context.GradientOf(Bias));
        var dImages = context.Rent(r.Images.Shape);
        context.Backend.Fold(dPatches, b, Channels, h, w, PatchSize, dImages);
        context.Return(dPatches);
        return dImages;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        var (b, h, w, p) = Geometry(r.Images);
        var rPatches = context.Composite.Input.Apply(context, r.Patches, Weight.Value, Bias.Value, outputRelevance, b * p, PatchDim, Dim, r.Images);
        var rImages = context.Rent(r.Images.Shape);
        context.Backend.Fold(rPatches, b, Channels, h, w, PatchSize, rImages);
        context.Return(rPatches);
        return rImages;
    }
}
