using System.Numerics.Tensors;
using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Relevance;

namespace Vitmix.Explain;

/// <summary>
/// One image's relevance at the input under an LRP composite, and its conservation check.
/// </summary>
/// <param name="Pixels">The relevance summed over colour channels (H, W), the pass started from the target logit.</param>
/// <param name="InputSum">Σ relevance over every channel and pixel, in double.</param>
/// <param name="Logit">The target logit, the relevance the pass started from.</param>
public sealed record LrpAttribution(float[] Pixels, double InputSum, float Logit)
{
    /// <summary>Σ relevance at the input / the target logit: 1 for a fully conservative composite.</summary>
    public double Conservation => InputSum / Logit;
}

/// <summary>
/// An explainer whose maps are the relevance at the input of its own LRP composite (AttnLRP, CP-LRP). The shared
/// pass of a run has one composite (Chefer et al.'s), so each image gets its own forward and relevance pass from
/// <see cref="ExplanationPass.Input"/>: one forward and one relevance pass per image, as the relevance pass of the
/// shared pass costs. The pass starts from one-hot(target) and the result is scaled by the target logit, which is the
/// same as starting from the logit (LXT's y.backward(y)) because every rule of these composites is linear in the
/// relevance. Maps: "NAME.pixels" (H, W), the signed relevance summed over channels, and "NAME", that pixel map resized
/// to the patch grid the way <see cref="Saliency"/> makes its grid map (bilinear, align_corners = false). Neither
/// reference defines a token-level map, and a map read at the patch-embedding output would carry the position
/// embedding's share. Checks: NAME.input-sum, NAME.logit and NAME.conservation = their ratio.
/// </summary>
public abstract class CompositeLrpExplainer : ISelfCheckingExplainer
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The rules of the relevance pass.</summary>
    protected abstract LrpComposite Composite { get; }

    /// <summary>Nothing from the shared pass but its input, logits and targets: the relevance pass is this method's own.</summary>
    public PassRequirements Requires => PassRequirements.None;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample) => Maps(pass, Attribute(pass, sample));

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample, IDictionary<string, double> checks)
    {
        var a = Attribute(pass, sample);
        checks[Name + ".input-sum"] = a.InputSum;
        checks[Name + ".logit"] = a.Logit;
        checks[Name + ".conservation"] = a.Conservation;
        return Maps(pass, a);
    }

    /// <summary>The relevance at the input of sample <paramref name="sample"/> of <paramref name="pass"/> for its target.</summary>
    public LrpAttribution Attribute(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int plane = c.ImageHeight * c.ImageWidth, length = c.InChannels * plane, target = pass.Targets[sample];
        var image = new Tensor(pass.Input.Data.AsSpan(sample * length, length).ToArray(), 1, c.InChannels, c.ImageHeight, c.ImageWidth);
        using var own = ExplanationPass.Compute(pass.Model, image, PassRequirements.PixelRelevance, [target], Composite);
        float logit = pass.Logits[sample * c.NumClasses + target];
        var pixels = new float[plane];
        TensorPrimitives.Multiply(own.PixelRelevance.AsSpan(0, plane), logit, pixels);
        double sum = 0;
        foreach (float v in pixels) sum += v;   // in double: conservation compares two sums of many terms
        return new LrpAttribution(pixels, sum, logit);
    }

    IEnumerable<KeyValuePair<string, Heatmap>> Maps(ExplanationPass pass, LrpAttribution attribution)
    {
        var c = pass.Config;
        var grid = new float[c.NumPatches];
        BilinearResize.Resize(attribution.Pixels, c.ImageHeight, c.ImageWidth, grid, c.GridHeight, c.GridWidth);
        yield return new(Name, new Heatmap(grid, c.GridHeight, c.GridWidth));
        yield return new(Name + ".pixels", new Heatmap(attribution.Pixels, c.ImageHeight, c.ImageWidth));
    }
}
