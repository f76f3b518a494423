using Vitmix.Layers;
namespace Vitmix.Explain;

/// <summary>
/// Saliency (Simonyan et al. 2014): the maximum over colour channels of |d y_c / d input| at input resolution
/// ("saliency.pixels"), and the grid map ViTmiX fuses ("saliency"): that pixel map resized to the patch grid with
/// bilinear interpolation, align_corners = false and no antialiasing (F.interpolate), so for even patch sizes each
/// grid cell is the mean of the 2×2 pixels around the patch centre, not a patch average.
/// </summary>
[Explainer("saliency", Summary = "saliency, |d y / d input| (Simonyan et al. 2014)", Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, InAll = true, ViTmiX = true, Order = 30)]
public sealed class Saliency : IExplainer
{
    /// <inheritdoc/>
    public string Name => "saliency";
    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.InputGradient;

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int plane = c.ImageHeight * c.ImageWidth, ch = c.InChannels;
        var grad = pass.InputGradient!.AsSpan(sample * ch * plane, ch * plane);
        var pixels = new float[plane];
        for (int i = 0; i < plane; i++)
        {
            float m = Math.Abs(grad[i]);
            for (int k = 1; k < ch; k++) m = Math.Max(m, Math.Abs(grad[k * plane + i]));
            pixels[i] = m;
        }
        var grid = new float[c.NumPatches];
        Vitmix.Engine.BilinearResize.Resize(pixels, c.ImageHeight, c.ImageWidth, grid, c.GridHeight, c.GridWidth);
        yield return new(Name, new Heatmap(grid, c.GridHeight, c.GridWidth));
        yield return new(Name + ".pixels", new Heatmap(pixels, c.ImageHeight, c.ImageWidth));
    }
}
