using System.Numerics.Tensors;
using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Explain;

/// <summary>
/// ViT-CX (Xie et al., "ViT-CX: Causal Explanation of Vision Transformers", IJCAI 2023), as its reference computes
/// it (vaynexie/CausalX-ViT, ViT_CX/ViT_CX.py and causal_score.py, commit 1ea3140):
/// <list type="number">
/// <item>the patch tokens that a block's attention reads (timm's blocks[-1].norm1 by default) give one map per
/// embedding channel on the patch grid, upsampled bilinearly to the image and min–max normalised: the masks;</item>
/// <item>masks whose cosine distance is below a threshold (0.1) are merged by complete-linkage agglomerative
/// clustering; each cluster's masks are summed and min–max normalised again;</item>
/// <item>every mask M_k is scored on the image x with Gaussian noise n_k (σ 0.1) where the mask is off:
/// p_k = P(y | x⊙M_k + n_k⊙(1−M_k)) − P(y | x + n_k⊙(1−M_k)) + P(y | x) — the noise term is the reference's
/// correction for causal overdetermination, so the score of a mask is its effect beyond what noise alone does;</item>
/// <item>the saliency is Σ_k p_k·M_k / Σ_k M_k / K (each pixel's score shared among the masks covering it).</item>
/// </list>
/// The map is at input resolution ("vitcx.pixels") and, for fusions, on the patch grid ("vitcx") as saliency's grid
/// map is made. The masked images run as batches. The reference draws fresh torch noise per call; here the noise
/// of mask k comes from <see cref="SplitMixGaussian"/> stream k of the seed, so a map is deterministic.
/// <para>
/// The cosine distances are computed exactly on the patch grid rather than on the upsampled masks: bilinear
/// upsampling is linear and min–max normalisation subtracts a constant and divides by a scale that a cosine ignores,
/// so (Uf_i − m_i)·(Uf_j − m_j) = f_iᵀ(UᵀU)f_j − m_j·sᵀf_i − m_i·sᵀf_j + m_i·m_j·HW with s = Uᵀ1 — a D×D product
/// on P = gh·gw values instead of D×D on H·W pixels (ViT-B: 196 against 50 176). Channels that are constant on the
/// image make no mask (the reference's 0/0 would make every pixel NaN).
/// </para>
/// </summary>
[Explainer("vitcx", Aliases = ["vit-cx"], Summary = "ViT-CX, causal impact of masks clustered from patch embeddings (Xie et al. 2023)",
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, InAll = true, Order = 60)]
public sealed class ViTCausalExplanation : IExplainer
{
    // Images per forward: evaluation's batch size, well inside memory for ViT-B (the reference's GPU batch is 50).
    const int ImagesPerBatch = 32;

    readonly int layer = -1;
    readonly double distanceThreshold = 0.1;
    readonly float noiseLevel = 0.1f;

    /// <inheritdoc/>
    public string Name => "vitcx";

    /// <inheritdoc/>
    public PassRequirements Requires => PassRequirements.None;

    /// <summary>The block whose attention input gives the masks; −1, the default, is the last (the reference's blocks[-1].norm1).</summary>
    [ExplainerOption("vitcx-layer", Description = "ViT-CX block whose attention input (norm1) gives the masks; -1 is the last (the reference's)", Minimum = -1, ValueName = "LAYER")]
    public int Layer
    {
        get => layer;
        init => layer = value >= -1 ? value : throw new ArgumentOutOfRangeException(nameof(Layer), "layer must be ≥ -1");
    }

    /// <summary>Masks closer than this cosine distance are merged (the reference's distance_threshold, 0.1).</summary>
    [ExplainerOption("vitcx-distance", Description = "ViT-CX clustering threshold: masks closer than this cosine distance merge (reference: 0.1)", Minimum = 0, ValueName = "DISTANCE")]
    public double DistanceThreshold
    {
        get => distanceThreshold;
        init => distanceThreshold = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(DistanceThreshold), "the distance threshold must be a finite number ≥ 0");
    }

    /// <summary>σ of the Gaussian noise outside each mask, in the normalised input's units (the reference's 0.1); 0 turns the correction off.</summary>
    [ExplainerOption("vitcx-noise", Description = "ViT-CX noise σ outside each mask, normalised input units (reference: 0.1; 0 turns the correction off)", Minimum = 0, ValueName = "SIGMA")]
    public float NoiseLevel
    {
        get => noiseLevel;
        init => noiseLevel = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(NoiseLevel), "the noise level must be a finite number ≥ 0");
    }

    /// <summary>Seed of the noise: the same seed gives the same map.</summary>
    [ExplainerOption("vitcx-seed", Description = "ViT-CX noise seed", Minimum = 0, ValueName = "SEED")]
    public int Seed { get; init; }

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
    {
        var c = pass.Config;
        int imageLength = c.InChannels * c.ImageHeight * c.ImageWidth, k = c.NumClasses;
        var image = new Tensor(pass.Input.Data.AsSpan(sample * imageLength, imageLength).ToArray(), 1, c.InChannels, c.ImageHeight, c.ImageWidth);
        int block = Layer < 0 ? c.Depth - 1 : Math.Min(Layer, c.Depth - 1);
        var masks = Masks(pass.Model, image, block, DistanceThreshold);
        int target = pass.Targets[sample];
        float classProbability = Probabilities.Of(c, pass.Logits.AsSpan(sample * k, k))[target];
        var pixels = CausalScore(pass.Model, image.Data, target, classProbability, masks, (m, noise) => SplitMixGaussian.Fill(Seed, m, NoiseLevel, noise), NoiseLevel > 0);
        var grid = new float[c.NumPatches];
        BilinearResize.Resize(pixels, c.ImageHeight, c.ImageWidth, grid, c.GridHeight, c.GridWidth);
        yield return new(Name, new Heatmap(grid, c.GridHeight, c.GridWidth));
        yield return new(Name + ".pixels", new Heatmap(pixels, c.ImageHeight, c.ImageWidth));
    }

    /// <summary>The clustered masks of one image: each cluster's summed channel maps, on the patch grid.</summary>
    /// <param name="Labels">The cluster of every embedding channel (channels that make no mask: −1).</param>
    /// <param name="GridWeights">Per cluster, Σ f_i / range_i over its channels (gh·gw): the cluster's mask is the min–max normalised upsampling of it.</param>
    public sealed record ClusteredMasks(int[] Labels, float[][] GridWeights, int GridHeight, int GridWidth, int Height, int Width)
    {
        /// <summary>Mask <paramref name="cluster"/> at image resolution, min–max normalised, into <paramref name="destination"/> (H·W).</summary>
        public void Render(int cluster, Span<float> destination)
        {
            BilinearResize.Resize(GridWeights[cluster], GridHeight, GridWidth, destination, Height, Width);
            float min = TensorPrimitives.Min(destination), range = TensorPrimitives.Max(destination) - min;
            if (range > 0)
            {
                TensorPrimitives.Subtract(destination, min, destination);
                TensorPrimitives.Divide(destination, range, destination);
            }
            else destination.Clear();
        }
    }

    /// <summary>Steps 1–2: the masks of <paramref name="image"/> (1, C, H, W) from block <paramref name="block"/>'s attention input.</summary>
    public static ClusteredMasks Masks(VisionTransformer model, Tensor image, int block, double distanceThreshold)
    {
        var c = model.Config;
        int gh = c.GridHeight, gw = c.GridWidth, p = gh * gw, h = c.ImageHeight, w = c.ImageWidth, d = c.EmbedDim;
        var tokens = model.AttentionInput(image, block).Data;
        // f_i: channel i over the patch grid, in double for the Gram products.
        var f = new double[d * p];
        for (int t = 0; t < p; t++)
            for (int i = 0; i < d; i++) f[i * p + t] = tokens[(c.NumPrefixTokens + t) * d + i];

        // Each channel's upsampled minimum and range, from the float upsampling the reference normalises.
        var min = new double[d];
        var range = new double[d];
        var plane = new float[h * w];
        var channel = new float[p];
        for (int i = 0; i < d; i++)
        {
            for (int t = 0; t < p; t++) channel[t] = (float)f[i * p + t];
            BilinearResize.Resize(channel, gh, gw, plane, h, w);
            min[i] = TensorPrimitives.Min(plane);
            range[i] = TensorPrimitives.Max(plane) - min[i];
        }

        var distances = CosineDistances(f, d, gh, gw, h, w, min, range);
        var labels = CompleteLinkageClustering.Cluster(distances, d, distanceThreshold);
        // Channels without a mask were clustered as all-zero maps (distance 1 to everything): they are dropped and the
        // clusters renumbered in order of first member.
        var renumber = new Dictionary<int, int>();
        var sums = new List<double[]>();
        for (int i = 0; i < d; i++)
        {
            if (range[i] <= 0) { labels[i] = -1; continue; }
            if (!renumber.TryGetValue(labels[i], out int cluster))
            {
                renumber[labels[i]] = cluster = sums.Count;
                sums.Add(new double[p]);
            }
            labels[i] = cluster;
            for (int t = 0; t < p; t++) sums[cluster][t] += f[i * p + t] / range[i];
        }
        return new ClusteredMasks(labels, sums.Select(s => Array.ConvertAll(s, v => (float)v)).ToArray(), gh, gw, h, w);
    }

    /// <summary>1 − cos between the min-shifted upsampled channels, from Gram products on the grid (see the class remarks).</summary>
    static double[] CosineDistances(double[] f, int d, int gh, int gw, int h, int w, double[] min, double[] range)
    {
        int p = gh * gw;
        var (gy, sy) = UpsamplingGram(gh, h);
        var (gx, sx) = UpsamplingGram(gw, w);
        // Gf_i = Gy·F_i·Gx (G = Gy ⊗ Gx, both symmetric) and s·f_i with s = sy ⊗ sx.
        var gf = new double[d * p];
        var sf = new double[d];
        var tmp = new double[p];
        for (int i = 0; i < d; i++)
        {
            var fi = f.AsSpan(i * p, p);
            for (int y = 0; y < gh; y++)
                for (int x = 0; x < gw; x++)
                {
                    double acc = 0;
                    for (int x2 = 0; x2 < gw; x2++) acc += fi[y * gw + x2] * gx[x2 * gw + x];
                    tmp[y * gw + x] = acc;
                }
            for (int y = 0; y < gh; y++)
                for (int x = 0; x < gw; x++)
                {
                    double acc = 0;
                    for (int y2 = 0; y2 < gh; y2++) acc += gy[y * gh + y2] * tmp[y2 * gw + x];
                    gf[i * p + y * gw + x] = acc;
                }
            double s = 0;
            for (int y = 0; y < gh; y++)
                for (int x = 0; x < gw; x++) s += sy[y] * sx[x] * fi[y * gw + x];
            sf[i] = s;
        }
        double pixels = (double)h * w;
        var dot = new double[d * d];
        Parallel.For(0, d, i =>
        {
            var gfi = gf.AsSpan(i * p, p);
            for (int j = 0; j <= i; j++)
            {
                double v = TensorPrimitives.Dot(gfi, f.AsSpan(j * p, p)) - min[j] * sf[i] - min[i] * sf[j] + min[i] * min[j] * pixels;
                dot[i * d + j] = dot[j * d + i] = v;
            }
        });
        var distances = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double denominator = Math.Sqrt(Math.Max(dot[i * d + i], 0) * Math.Max(dot[j * d + j], 0));
                double cos = range[i] > 0 && range[j] > 0 && denominator > 0 ? dot[i * d + j] / denominator : 0;
                distances[i * d + j] = i == j ? 0 : 1 - cos;
            }
        return distances;
    }

    /// <summary>UᵀU (n × n) and Uᵀ1 (n) of the 1-D bilinear upsampling U from n to <paramref name="size"/>, with PyTorch's weights.</summary>
    static (double[] Gram, double[] ColumnSums) UpsamplingGram(int n, int size)
    {
        var u = new float[n * size];   // column j: the upsampling of the unit vector e_j
        var unit = new float[n];
        var column = new float[size];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(unit);
            unit[j] = 1f;
            BilinearResize.Resize(unit, 1, n, column, 1, size);
            for (int x = 0; x < size; x++) u[j * size + x] = column[x];
        }
        var gram = new double[n * n];
        var sums = new double[n];
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                double acc = 0;
                for (int x = 0; x < size; x++) acc += (double)u[a * size + x] * u[b * size + x];
                gram[a * n + b] = acc;
            }
            for (int x = 0; x < size; x++) sums[a] += u[a * size + x];
        }
        return (gram, sums);
    }

    /// <summary>
    /// Steps 3–4: the saliency (H·W) of <paramref name="image"/> (C·H·W, normalised) for class <paramref name="target"/>
    /// from the masks, with <paramref name="fillNoise"/>(k, noise) drawing mask k's noise (C·H·W). Without noise the
    /// noisy originals are the image itself, whose probability is known, so only the masked images run.
    /// </summary>
    public static float[] CausalScore(VisionTransformer model, ReadOnlySpan<float> image, int target, float classProbability,
        ClusteredMasks masks, Action<int, Span<float>> fillNoise, bool withNoise)
    {
        var c = model.Config;
        int plane = c.ImageHeight * c.ImageWidth, channels = c.InChannels, imageLength = channels * plane, count = masks.GridWeights.Length;
        var saliency = new float[plane];
        if (count == 0) return saliency;
        var coverage = new float[plane];
        var mask = new float[plane];
        for (int m = 0; m < count; m++)
        {
            masks.Render(m, mask);
            TensorPrimitives.Add(coverage, mask, coverage);
        }
        int perBatch = withNoise ? ImagesPerBatch / 2 : ImagesPerBatch;
        var batchMasks = new float[perBatch * plane];
        var noise = new float[imageLength];
        var inverse = new float[plane];
        for (int first = 0; first < count; first += perBatch)
        {
            int n = Math.Min(perBatch, count - first);
            var batch = new Tensor(withNoise ? 2 * n : n, channels, c.ImageHeight, c.ImageWidth);
            for (int j = 0; j < n; j++)
            {
                var mj = batchMasks.AsSpan(j * plane, plane);
                masks.Render(first + j, mj);
                if (withNoise)
                {
                    fillNoise(first + j, noise);
                    TensorPrimitives.Subtract(1f, mj, inverse);
                }
                for (int ch = 0; ch < channels; ch++)
                {
                    var x = image.Slice(ch * plane, plane);
                    var masked = batch.Data.AsSpan(j * imageLength + ch * plane, plane);
                    TensorPrimitives.Multiply(x, mj, masked);
                    if (!withNoise) continue;
                    var outside = noise.AsSpan(ch * plane, plane);
                    TensorPrimitives.Multiply(outside, inverse, outside);   // n⊙(1−M)
                    TensorPrimitives.Add(masked, outside, masked);
                    TensorPrimitives.Add(x, outside, batch.Data.AsSpan((n + j) * imageLength + ch * plane, plane));
                }
            }
            var logits = model.Forward(batch).Data;
            int k = c.NumClasses;
            for (int j = 0; j < n; j++)
            {
                float score = Probabilities.Of(c, logits.AsSpan(j * k, k))[target];
                if (withNoise) score += classProbability - Probabilities.Of(c, logits.AsSpan((n + j) * k, k))[target];
                TensorPrimitives.MultiplyAdd(batchMasks.AsSpan(j * plane, plane), score, saliency, saliency);
            }
        }
        for (int i = 0; i < plane; i++) saliency[i] = coverage[i] > 0 ? saliency[i] / coverage[i] / count : 0f;
        return saliency;
    }
}
