using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Explain;

/// <summary>
/// Transformer Input Sampling, TIS (Englebert et al., "Explaining through Transformer Input Sampling", ICCV 2023
/// workshops), as its reference computes it (aenglebert/Transformer_Input_Sampling, tis/tis.py, class TIS, commit
/// 11f5cbc):
/// <list type="number">
/// <item>every block's output tokens, concatenated over the blocks, give L·D activation channels, each a vector over
/// the patch tokens (the prefix tokens left out);</item>
/// <item>k-means (Euclidean, <see cref="KMeansClustering"/>) groups the channels into <see cref="Masks"/> clusters, whose
/// centroids are the raw masks;</item>
/// <item>each raw mask keeps its ⌊ratio·P⌋ highest patches (a binary mask);</item>
/// <item>the model runs on the prefix tokens and the kept patch tokens only (<see cref="VisionTransformer.ForwardTokens"/>:
/// no replacement values), and the mask's score is the softmax probability of the class;</item>
/// <item>saliency = Σ score·mask / Σ mask (the coverage correction), min–max normalised to [0, 1] as the reference's
/// default normalise = True.</item>
/// </list>
/// The masked sequences run in batches. Where the reference's k-means draws its initial centroids at random, here they
/// come from a seed (<see cref="Seed"/>), so a map repeats; a model with fewer activation channels than
/// <see cref="Masks"/> gets one mask per channel.
/// </summary>
[Explainer("tis", Aliases = ["transformer-input-sampling"], Summary = "transformer input sampling: token subsets from clustered activations, scored on the kept tokens alone (Englebert et al. 2023)", InAll = true, Order = 65)]
public sealed class TransformerInputSampling : IExplainer
{
    // Masked sequences forwarded together; each is about half a forward (half the patch tokens).
    const int SequencesPerBatch = 32;

    readonly int masks = 1024;
    readonly double ratio = 0.5;

    /// <inheritdoc/>
    public string Name => "tis";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.None;

    /// <summary>Clusters of activation channels, one mask each (the reference's n_masks, 1024).</summary>
    [ExplainerOption("tis-masks", Description = "TIS masks: k-means clusters of the blocks' activation channels (reference: 1024)", Minimum = 1, ValueName = "N")]
    public int Masks
    {
        get => masks;
        init => masks = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Masks), "masks must be ≥ 1");
    }

    /// <summary>Share of the patch tokens each mask keeps (the reference's tokens_ratio, 0.5).</summary>
    [ExplainerOption("tis-ratio", Description = "TIS: share of the patch tokens each mask keeps, in (0, 1] (reference: 0.5)", Minimum = 0, ValueName = "FRACTION")]
    public double Ratio
    {
        get => ratio;
        init => ratio = value > 0 && value <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Ratio), "the ratio must lie in (0, 1]");
    }

    /// <summary>Seed of k-means' initial centroids.</summary>
    [ExplainerOption("tis-seed", Description = "TIS: seed of k-means' initial centroids", Minimum = 0, ValueName = "SEED")]
    public int Seed { get; init; }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int imageLength = c.InChannels * c.ImageHeight * c.ImageWidth;
        var image = new Tensor(pass.Input.Data.AsSpan(sample * imageLength, imageLength).ToArray(), 1, c.InChannels, c.ImageHeight, c.ImageWidth);
        var binary = BinaryMasks(pass.Model, image);
        var scores = Scores(pass.Model, image, pass.Targets[sample], binary);
        yield return new(Name, new Heatmap(Saliency(binary, scores, c.NumPatches), c.GridHeight, c.GridWidth));
    }

    /// <summary>Steps 1–3: the kept patches of every mask (ascending indices).</summary>
    public int[][] BinaryMasks(VisionTransformer model, Tensor image)
    {
        var c = model.Config;
        int p = c.NumPatches, prefix = c.NumPrefixTokens, d = c.EmbedDim, channels = c.Depth * d;
        // Channel (block l, feature f) over the patches: points (L·D) × P.
        var points = new float[(long)channels * p];
        var outputs = model.BlockOutputs(image);
        for (int l = 0; l < outputs.Count; l++)
        {
            var tokens = outputs[l].Data;
            for (int t = 0; t < p; t++)
                for (int f = 0; f < d; f++) points[(long)(l * d + f) * p + t] = tokens[(prefix + t) * d + f];
        }
        int k = Math.Min(Masks, channels);
        var centroids = KMeansClustering.Centroids(points, channels, p, k, Seed);
        int keep = (int)(Ratio * p);
        var result = new int[k][];
        for (int m = 0; m < k; m++)
        {
            var raw = centroids.AsSpan(m * p, p).ToArray();
            result[m] = Enumerable.Range(0, p).OrderByDescending(i => raw[i]).ThenBy(i => i).Take(keep).Order().ToArray();
        }
        return result;
    }

    /// <summary>Step 4: the class probability with each mask's patches alone, in batches.</summary>
    public static float[] Scores(VisionTransformer model, Tensor image, int target, int[][] kept)
    {
        var c = model.Config;
        var scores = new float[kept.Length];
        // every mask is a subset of one image: its patch embedding and first q, k, v projection are computed once
        var embedded = model.EmbedForSubsets(image);
        for (int first = 0; first < kept.Length; first += SequencesPerBatch)
        {
            int n = Math.Min(SequencesPerBatch, kept.Length - first);
            var logits = model.ForwardEmbedded(embedded, kept.Skip(first).Take(n).ToList()).Data;
            int k = c.NumClasses;
            for (int j = 0; j < n; j++) scores[first + j] = Probabilities.Softmax(logits.AsSpan(j * k, k).ToArray())[target];
        }
        return scores;
    }

    /// <summary>Step 5: Σ score·mask / Σ mask over the patches, min–max normalised (uncovered patches 0).</summary>
    public static float[] Saliency(int[][] kept, float[] scores, int patches)
    {
        var sum = new double[patches];
        var coverage = new int[patches];
        for (int m = 0; m < kept.Length; m++)
            foreach (int p in kept[m]) { sum[p] += scores[m]; coverage[p]++; }
        var saliency = new float[patches];
        for (int p = 0; p < patches; p++) saliency[p] = coverage[p] > 0 ? (float)(sum[p] / coverage[p]) : 0f;
        float min = saliency.Min(), range = saliency.Max() - min;
        if (range > 0) for (int p = 0; p < patches; p++) saliency[p] = (saliency[p] - min) / range;
        return saliency;
    }
}
