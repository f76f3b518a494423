using Vitmix.Explain;

namespace Vitmix.Fusion.Rules;

/// <summary>Shared checks and the per-element loop; a rule only says how one patch's k values combine.</summary>
public abstract class ElementwiseFusionRule : IFusionRule
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>True for rules that are not invariant to each map's scale: their inputs are min-max normalised first.</summary>
    protected virtual bool NormalizesInputs => false;

    /// <inheritdoc/>
    public Heatmap Fuse(IReadOnlyList<Heatmap> maps, IReadOnlyList<float>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0) throw new ArgumentException($"fusion '{Name}' needs at least one map", nameof(maps));
        int h = maps[0].Height, w = maps[0].Width, n = h * w;
        for (int i = 0; i < maps.Count; i++)
        {
            if (maps[i].Height != h || maps[i].Width != w || maps[i].Values.Length != n)
                throw new ArgumentException($"fusion '{Name}': map {i} is {maps[i].Height}x{maps[i].Width} ({maps[i].Values.Length} values), map 0 is {h}x{w}");
        }
        var wts = ResolveWeights(maps.Count, weights);
        var inputs = new float[maps.Count][];
        for (int i = 0; i < maps.Count; i++) inputs[i] = NormalizesInputs ? MinMax(maps[i].Values) : maps[i].Values;
        var output = new float[n];
        Combine(inputs, wts, output);
        return new Heatmap(output, h, w);
    }

    /// <summary>Σ weights, summed in float in order (the normaliser of the weighted means).</summary>
    protected static float TotalWeight(float[] weights)
    {
        float total = 0f;
        foreach (var w in weights) total += w;
        return total;
    }

    /// <summary>Writes the fused value of every element into <paramref name="output"/>.</summary>
    protected abstract void Combine(float[][] inputs, float[] weights, float[] output);

    float[] ResolveWeights(int k, IReadOnlyList<float>? weights)
    {
        if (weights is null) { var ones = new float[k]; Array.Fill(ones, 1f); return ones; }
        if (weights.Count != k) throw new ArgumentException($"fusion '{Name}': {weights.Count} weights for {k} maps");
        for (int i = 0; i < k; i++)
        {
            if (!(weights[i] > 0) || float.IsInfinity(weights[i]))
                throw new ArgumentException($"fusion '{Name}': weight {i} is {weights[i]}, expected a positive finite number");
        }
        return [.. weights];
    }

    /// <summary>(x - min) / (max - min) over the grid; a constant map becomes zeros.</summary>
    internal static float[] MinMax(float[] x)
    {
        var r = (float[])x.Clone();
        Engine.MinMaxNormalization.ApplyExact(r);
        return r;
    }
}
