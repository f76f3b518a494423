using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// Attention Grad-CAM for ViT (as in Chefer et al. 2021's baselines): the last block's readout attention row (the
/// class token's for a class-token model; <see cref="ExplanationPass.ReadoutRow"/>), each head weighted by the mean
/// gradient of the target logit over that row's patch entries, averaged over heads,
/// clamped at 0, min-max normalised. A constant map (max = min) gives zeros, never NaN (the reference divides by 0).
/// </summary>
[Explainer("gradcam", Aliases = ["cam", "grad-cam"], Summary = "attention Grad-CAM of the last block (Chefer et al. 2021 baseline)", InAll = true, ViTmiX = true, Order = 20)]
public sealed class AttentionGradCam : IExplainer
{
    /// <inheritdoc/>
    public string Name => "gradcam";
    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.Attention | PassRequirements.AttentionGradients;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int last = c.Depth - 1, t0 = c.NumPrefixTokens, p = c.NumPatches, h = c.NumHeads, n = c.NumTokens;
        var cam = new float[p];
        var aRow = new float[n];
        var gRow = new float[n];
        for (int head = 0; head < h; head++)
        {
            pass.ReadoutRow(pass.HeadMatrix(pass.Attention[last], sample, head), sample, aRow);
            pass.ReadoutRow(pass.HeadMatrix(pass.AttentionGradients![last]!, sample, head), sample, gRow);
            var a = aRow.AsSpan(t0, p);
            var g = gRow.AsSpan(t0, p);
            float w = System.Numerics.Tensors.TensorPrimitives.Sum(g) / p;
            for (int j = 0; j < p; j++) cam[j] += a[j] * w;
        }
        for (int j = 0; j < p; j++) cam[j] = Math.Max(0f, cam[j] / h);
        Engine.MinMaxNormalization.ApplyExact(cam);
        yield return new(Name, new Heatmap(cam, c.GridHeight, c.GridWidth));
    }
}
