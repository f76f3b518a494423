using System.Globalization;
using Vitmix.Engine;

namespace Vitmix.Model;

/// <summary>What a model is about to run, and how much memory it may take: checked before any weight is read.</summary>
public sealed record MemoryBudget
{
    /// <summary>Bytes the weights and activations together may take; default <see cref="ModelMemory.AvailableBytes"/>.</summary>
    public long Limit { get; init; } = ModelMemory.AvailableBytes;

    /// <summary>Inputs run through the model at once.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>
    /// True for a recorded explanation pass (a forward pass keeping every activation, then the backward and relevance
    /// passes); false for a plain forward pass (predict).
    /// </summary>
    public bool Explanation { get; init; }
}

/// <summary>Estimated bytes of a model's weights and of the activations of one pass.</summary>
/// <param name="Weights">float32 parameters.</param>
/// <param name="Activations">Arrays the pass allocates (<see cref="ModelMemory.ActivationBytes"/>).</param>
/// <param name="Batch">The batch size the activations are for.</param>
/// <param name="Explanation">Whether the pass is a recorded explanation pass.</param>
public sealed record MemoryEstimate(long Weights, long Activations, int Batch, bool Explanation)
{
    /// <summary>Weights plus activations (saturating at <see cref="long.MaxValue"/>).</summary>
    public long Total => ModelMemory.Add(Weights, Activations);

    /// <summary>"14.7 GB (weights 1.2 GB, activations 13.5 GB at batch 1)".</summary>
    public override string ToString() =>
        $"{ModelMemory.FormatBytes(Total)} (weights {ModelMemory.FormatBytes(Weights)}, activations {ModelMemory.FormatBytes(Activations)}" +
        $"{(Explanation ? " of an explanation pass" : "")} at batch {Batch})";
}

/// <summary>
/// A model that would need more memory than its limit (<see cref="MemoryBudget.Limit"/>). Thrown by the loader before
/// anything large is allocated; the message names the file, both sizes and says nothing about command-line flags
/// (the CLI adds its own hint). A type of its own, not an <see cref="InvalidDataException"/> (which is sealed): the file
/// is sound, it is the limit that a caller may raise or the size it may lower.
/// </summary>
public sealed class MemoryLimitException : Exception
{
    /// <summary>Bytes the model would need (weights and activations).</summary>
    public long Needed { get; }

    /// <summary>Bytes it may use.</summary>
    public long Limit { get; }

    /// <summary>An error with its message and both sizes in bytes.</summary>
    public MemoryLimitException(string message, long needed, long limit) : base(message)
    {
        Needed = needed;
        Limit = limit;
    }
}

/// <summary>
/// How much memory a <see cref="VitConfig"/> needs: its weights (from <see cref="VitWeights.ExpectedShapes"/>) and
/// the activations one pass allocates, all in 64-bit arithmetic that saturates rather than wraps, so a hostile config
/// (a million blocks, a 10⁹-pixel input) is measured and refused before any of it exists.
/// </summary>
public static class ModelMemory
{
    /// <summary>Bytes one float32 takes.</summary>
    const long FloatBytes = sizeof(float);

    /// <summary>
    /// The memory this process may use: physical memory, or the container or GC heap limit when one is set
    /// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>).
    /// </summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Bytes of the float32 parameters of <paramref name="config"/>.</summary>
    public static long WeightBytes(VitConfig config) => Multiply(WeightCount(config), FloatBytes);

    /// <summary>Number of parameters of <paramref name="config"/>, in O(1) whatever its depth.</summary>
    public static long WeightCount(VitConfig config)
    {
        config.Validate();
        // Every block has the same shapes: count one and multiply, instead of enumerating a hostile million blocks.
        long outside = 0, perBlock = 0;
        foreach (var (name, shape) in VitWeights.ExpectedShapes(config with { Depth = 1 }))
        {
            long n = Elements(shape);
            if (name.StartsWith("blocks.", StringComparison.Ordinal)) perBlock = Add(perBlock, n);
            else outside = Add(outside, n);
        }
        return Add(outside, Multiply(perBlock, config.Depth));
    }

    /// <summary>Bytes of the arrays one pass over <paramref name="batch"/> inputs allocates (see <see cref="ActivationFloats"/>).</summary>
    public static long ActivationBytes(VitConfig config, int batch, bool explanation)
    {
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        return Multiply(ActivationFloats(config, batch, explanation), FloatBytes);
    }

    /// <summary>Weights and activations of one pass of <paramref name="config"/> at <paramref name="batch"/>.</summary>
    public static MemoryEstimate Estimate(VitConfig config, int batch, bool explanation) =>
        new(WeightBytes(config), ActivationBytes(config, batch, explanation), batch, explanation);

    /// <summary>
    /// Throws unless <paramref name="config"/> can run the pass of <paramref name="budget"/>: an
    /// <see cref="InvalidDataException"/> when one of its arrays would exceed <see cref="Array.MaxLength"/> elements
    /// (whatever the memory), a <see cref="MemoryLimitException"/> when weights and activations exceed the limit.
    /// Messages start with <paramref name="source"/> (the weights file).
    /// </summary>
    public static void EnsureFits(VitConfig config, MemoryBudget budget, string source)
    {
        ArgumentNullException.ThrowIfNull(budget);
        try { config.Validate(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source}: {e.Message}"); }
        if (budget.Batch <= 0) throw new ArgumentException($"batch size {budget.Batch} must be positive");
        foreach (var (what, count) in Arrays(config, budget.Batch, budget.Explanation))
        {
            if (count > Array.MaxLength)
                throw new InvalidDataException(
                    $"{source}: at batch {budget.Batch}, {what} would need {Count(count)} values, more than an array can hold ({Count(Array.MaxLength)})");
        }
        var estimate = Estimate(config, budget.Batch, budget.Explanation);
        if (estimate.Total > budget.Limit)
            throw new MemoryLimitException(
                $"{source}: the model needs {estimate} but the memory limit is {FormatBytes(budget.Limit)}", estimate.Total, budget.Limit);
    }

    /// <summary>
    /// Floats a pass needs at its peak, from the buffers the layers rent (B batch, N tokens, P patches, D width,
    /// Hm MLP width, H heads, K classes, T worker threads). An upper bound to refuse what cannot fit, not an exact
    /// count: the formulas must follow the layers when their buffers change (ModelMemoryTests measure the arena's peak).
    /// <list type="bullet">
    /// <item>Both passes: the input batch B·C·Hi·Wi, its unfolded patches and patch tokens B·P·(C·p² + D), the
    /// readout, norms and logits B·(4·D·heads + K).</item>
    /// <item>Forward: the widest step of a block while the residual stream is kept: B·N·max(8·D, 5·D + Hm) (the
    /// stream, norm, qkv, heads' outputs and projection; or norm, MLP hidden and output), plus the tokens B·N·D and
    /// each worker thread's attention scores N² (min(T, B·H) of them).</item>
    /// <item>Explanation: every block records its norms, qkv, heads' outputs, projection, residual sums, LayerScale
    /// outputs and MLP activations, B·N·(12·D + 2·Hm + 4), its attention probabilities with their gradients and
    /// relevances, 3·B·H·N², the embedding's tokens 2·B·N·D; one block's backward and relevance working set,
    /// B·N·(8·D + 4·Hm) + 3·B·H·N² + 2·D·Hm (the sign-split weights), comes on top, with the input gradient.</item>
    /// </list>
    /// </summary>
    static long ActivationFloats(VitConfig c, long b, bool explanation)
    {
        // a SwiGLU MLP (EVA-02) keeps gate and value (2·Hm), their product and its sub-LN: counted as an MLP twice as wide
        long n = c.NumTokens, p = c.NumPatches, d = c.EmbedDim, hm = c.GatedMlp ? Multiply(2, c.MlpHidden) : c.MlpHidden, h = c.NumHeads;
        long heads = c.Distilled ? 2 : 1;
        long rows = Multiply(b, n), scores = Multiply(n, n), maps = Multiply(Multiply(b, h), scores);
        long image = Multiply(b, Multiply(c.InChannels, Multiply(c.ImageHeight, c.ImageWidth)));
        long embedding = Multiply(b, Multiply(p, Add(c.PatchDim, d)));
        long common = Sum(image, embedding, Multiply(b, Add(Multiply(4 * heads, d), c.NumClasses)));
        if (!explanation)
        {
            long block = Multiply(rows, Math.Max(Multiply(8, d), Add(Multiply(5, d), hm)));
            long threads = Math.Min(WorkerTeam.Size, Multiply(b, h));
            return Sum(common, Multiply(rows, d), block, Multiply(threads, scores));
        }
        long kept = Sum(Multiply(rows, Sum(Multiply(12, d), Multiply(2, hm), 4)), Multiply(3, maps));
        long working = Sum(Multiply(rows, Add(Multiply(8, d), Multiply(4, hm))), Multiply(3, maps), Multiply(2, Multiply(d, hm)));
        return Sum(common, Multiply(2, Multiply(rows, d)), Multiply(kept, c.Depth), working, image);
    }

    /// <summary>The largest arrays a pass allocates, with what they are, for the <see cref="Array.MaxLength"/> check.</summary>
    static IEnumerable<(string What, long Count)> Arrays(VitConfig c, long b, bool explanation)
    {
        long n = c.NumTokens;
        yield return ("the input batch and its patches", Multiply(b, Multiply(c.InChannels, Multiply(c.ImageHeight, c.ImageWidth))));
        yield return ($"the qkv activations of {Count(n)} tokens", Multiply(Multiply(b, n), Multiply(3, c.EmbedDim)));
        yield return ($"the MLP activations of {Count(n)} tokens", Multiply(Multiply(b, n), c.GatedMlp ? Multiply(2, c.MlpHidden) : c.MlpHidden));
        yield return ($"one attention head's scores over {Count(n)} tokens", Multiply(n, n));
        if (explanation)
            yield return ($"one block's attention maps over {Count(n)} tokens", Multiply(Multiply(b, c.NumHeads), Multiply(n, n)));
        yield return ("the logits", Multiply(b, c.NumClasses));
    }

    /// <summary>"14.7 GB": binary units (1 KB = 1024 bytes), one decimal.</summary>
    public static string FormatBytes(long bytes)
    {
        if (bytes == long.MaxValue) return "more than 8 EB";
        string[] units = ["KB", "MB", "GB", "TB", "PB", "EB"];
        if (bytes < 1024) return $"{bytes} bytes";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>"4,295,098,369": a count with thousands separators, whatever the culture.</summary>
    internal static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Elements of a shape, saturating at <see cref="long.MaxValue"/>.</summary>
    internal static long Elements(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n = Multiply(n, d);
        return n;
    }

    /// <summary>a·b for non-negative sizes, saturating at <see cref="long.MaxValue"/> so a hostile size never wraps to a small one.</summary>
    internal static long Multiply(long a, long b)
    {
        if (a < 0 || b < 0) throw new ArgumentOutOfRangeException(a < 0 ? nameof(a) : nameof(b), "sizes are non-negative");
        return a == 0 || b <= long.MaxValue / a ? a * b : long.MaxValue;
    }

    /// <summary>a + b for non-negative sizes, saturating at <see cref="long.MaxValue"/>.</summary>
    internal static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    static long Sum(params ReadOnlySpan<long> values)
    {
        long s = 0;
        foreach (long v in values) s = Add(s, v);
        return s;
    }
}
