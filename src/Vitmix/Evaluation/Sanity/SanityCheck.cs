using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Model;

namespace Vitmix.Evaluation.Sanity;

/// <summary>How a model-randomisation check re-initialises the network.</summary>
public enum RandomizationOrder
{
    /// <summary>Stage after stage from the head down, each step keeping the earlier steps' random weights.</summary>
    Cascading,
    /// <summary>One stage at a time, the rest of the network as trained.</summary>
    Independent,
}

/// <summary>
/// One image's map of one method after one randomisation step, compared with its map under the trained network.
/// </summary>
/// <param name="Image">The input's name.</param>
/// <param name="Method">The method.</param>
/// <param name="Order">Cascading or independent.</param>
/// <param name="Step">1 … stages: how many stages are random (cascading) or which one is (independent).</param>
/// <param name="Stage">The stage re-initialised at this step.</param>
/// <param name="Spearman">Spearman's ρ between the two maps' absolute values (NaN when either map is constant).</param>
/// <param name="Ssim">Mean SSIM of the two maps' absolute values, each min–max normalised to [0, 1].</param>
/// <param name="TopK">The share of the original map's top-k values still in the randomised map's top k.</param>
public sealed record SanityRow(string Image, string Method, RandomizationOrder Order, int Step, string Stage, double Spearman, double Ssim, double TopK);

/// <summary>What a sanity check compares.</summary>
public sealed record SanitySettings
{
    /// <summary>The methods checked; one shared pass per batch and network serves them all.</summary>
    public required ExplainerSet Explainers { get; init; }
    /// <summary>The orders run.</summary>
    public IReadOnlyList<RandomizationOrder> Orders { get; init; } = [RandomizationOrder.Cascading, RandomizationOrder.Independent];
    /// <summary>Seed of the random weights.</summary>
    public int Seed { get; init; }
    /// <summary>k of the top-k overlap as a fraction of the map's values.</summary>
    public double TopKFraction { get; init; } = 0.1;
    /// <summary>Images explained in one pass.</summary>
    public int BatchSize { get; init; } = 8;
}

/// <summary>
/// The model-randomisation sanity check (Adebayo et al. 2018) for every method of a set: each image is explained
/// by the trained network, then by networks re-initialised stage by stage (<see cref="ModelRandomization"/>),
/// always for the class the trained network explained, and each method's map is compared with its original. A
/// method whose maps stay the same when the weights they should depend on are random fails the check. The maps
/// compared are the method's grid map, or its pixel map when it has none; absolute values, as Quantus's
/// ModelParameterRandomisation (abs = True). Binder et al. (CVPR 2022) caution that passing is necessary, not
/// sufficient: an uninformative map can change a lot.
/// </summary>
public sealed class SanityCheck(VisionTransformer model, SanitySettings settings)
{
    /// <summary>The stages of the network, top-down.</summary>
    public IReadOnlyList<RandomizationStage> Stages { get; } = ModelRandomization.TopDown(model.Config);

    /// <summary>Runs the check on normalised images; <paramref name="progress"/> hears of every randomised network done.</summary>
    public IReadOnlyList<SanityRow> Run(IReadOnlyList<(string Name, Tensor Input)> images, Action<string>? progress = null, CancellationToken cancel = default)
    {
        if (images.Count == 0) throw new ArgumentException("no image to check");
        var keys = settings.Explainers.Explainers.Select(e => (Method: e.Name, Key: settings.Explainers.GridMethods.Contains(e.Name) ? e.Name : e.Name + ".pixels")).ToList();
        var originals = Explain(model, images, null);
        var targets = originals.Select(e => e.TargetClass).ToArray();
        var rows = new List<SanityRow>();
        foreach (var order in settings.Orders)
            for (int step = 1; step <= Stages.Count; step++)
            {
                cancel.ThrowIfCancellationRequested();
                var random = order == RandomizationOrder.Cascading ? Stages.Take(step).ToList() : [Stages[step - 1]];
                var randomized = ModelRandomization.Randomize(model, random, settings.Seed);
                var explained = Explain(randomized, images, targets);
                for (int i = 0; i < images.Count; i++)
                    foreach (var (method, key) in keys)
                    {
                        if (!originals[i].Maps.TryGetValue(key, out var before) || !explained[i].Maps.TryGetValue(key, out var after)) continue;
                        var (rho, ssim, topK) = Compare(before, after, settings.TopKFraction);
                        rows.Add(new SanityRow(images[i].Name, method, order, step, Stages[step - 1].Name, rho, ssim, topK));
                    }
                progress?.Invoke($"{order.ToString().ToLowerInvariant()} {step}/{Stages.Count}: {Stages[step - 1].Name}");
            }
        return rows;
    }

    /// <summary>Spearman ρ, SSIM and top-k overlap of two maps' absolute values.</summary>
    public static (double Spearman, double Ssim, double TopK) Compare(Heatmap before, Heatmap after, double topKFraction)
    {
        if (before.Values.Length != after.Values.Length) throw new ArgumentException("maps of different sizes");
        var a = before.Values.Select(Math.Abs).ToArray();
        var b = after.Values.Select(Math.Abs).ToArray();
        double rho = SpearmanCorrelation.Compute(Array.ConvertAll(a, v => (double)v), Array.ConvertAll(b, v => (double)v));
        double ssim = StructuralSimilarity.Compute(MinMax(a), MinMax(b), before.Height, before.Width, dataRange: 1);
        double topK = TopKOverlap.Compute(a, b, TopKOverlap.K(topKFraction, a.Length));
        return (rho, ssim, topK);
    }

    static float[] MinMax(float[] values)
    {
        float min = values.Min(), range = values.Max() - min;
        return range > 0 ? values.Select(v => (v - min) / range).ToArray() : new float[values.Length];
    }

    List<ImageExplanation> Explain(VisionTransformer network, IReadOnlyList<(string Name, Tensor Input)> images, int[]? targets)
    {
        var result = new List<ImageExplanation>(images.Count);
        for (int first = 0; first < images.Count; first += settings.BatchSize)
        {
            int n = Math.Min(settings.BatchSize, images.Count - first);
            var batch = InputBatch.Stack(images.Skip(first).Take(n).Select(i => i.Input).ToList());
            result.AddRange(settings.Explainers.Explain(network, batch, targets?.Skip(first).Take(n).ToArray()));
        }
        return result;
    }
}
