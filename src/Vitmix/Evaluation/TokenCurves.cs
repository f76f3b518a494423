using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Which pixel or token perturbation curves an evaluation draws.</summary>
public enum PerturbationMode
{
    /// <summary>RISE's curves: pixels replaced by a substrate (Petsiuk et al. 2018).</summary>
    Pixel,
    /// <summary>Token deletion and insertion: patches dropped from the sequence.</summary>
    Token,
    /// <summary>Both.</summary>
    Both,
}

/// <summary>The curves.csv kinds of the token curves, beside RISE's "deletion" and "insertion".</summary>
public static class TokenCurveKinds
{
    /// <summary>Patches dropped from the sequence, most relevant first.</summary>
    public const string Deletion = "token-deletion";
    /// <summary>Patches added to the sequence, most relevant first.</summary>
    public const string Insertion = "token-insertion";
}

/// <summary>
/// Token deletion and insertion, the ViT-native perturbation curves: patches are removed from (deletion) or added to
/// (insertion) the token sequence in the order of a grid map, most relevant first, and the model runs on the tokens
/// that remain (<see cref="VisionTransformer.ForwardTokens"/>), so no substrate colour is shown to it — the
/// "missingness bias" of pixel substrates (Jain et al. 2022, MadryLab/missingness) is the reason. Point s of n
/// perturbs round(s·P/n) of the P patches, so a curve ends with every patch removed (deletion) or restored
/// (insertion); an average-pooling model keeps at least one patch. The area is the trapezoid rule over [0, 1], as the
/// pixel curves'. All curves of one image are computed together: the distinct token sets of all maps and points run
/// once each, sequences of different lengths packed into one pass (<see cref="Layers.PackedSequences"/>), so the curve
/// costs the tokens it keeps.
/// </summary>
public static class TokenCurves
{
    /// <summary>
    /// The curves of <paramref name="grids"/> (each a grid map of <paramref name="model"/>'s patch grid) on
    /// <paramref name="image"/> (1, C, H, W) for <paramref name="target"/>, with <paramref name="steps"/> points after the
    /// first (at most P).
    /// </summary>
    /// <param name="fullProbability">The target's probability on the whole image when the caller has it (the explanation
    /// pass computed it): the point that keeps every patch is then not run again.</param>
    public static PerturbationCurve[] Compute(VisionTransformer model, Tensor image, int target, IReadOnlyList<float[]> grids, CurveKind kind,
        int steps, int batchSize = 32, double? fullProbability = null, CancellationToken cancel = default)
    {
        var c = model.Config;
        int p = c.NumPatches, k = c.NumClasses;
        if (steps < 1) throw new ArgumentException($"token curve steps {steps} must be at least 1");
        steps = Math.Min(steps, p);
        int minimum = c.Pool == GlobalPool.Token ? 0 : 1;
        var orders = grids.Select(g => g.Length == p ? PixelOrder.Descending(g) : throw new ArgumentException($"a grid map of {g.Length} values for {p} patches")).ToArray();
        var probabilities = grids.Select(_ => new double[steps + 1]).ToArray();
        // Every distinct token set of every point and map, and the (map, point) places that read each one.
        var sets = new List<int[]>();
        var readers = new List<List<(int Map, int Point)>>();
        for (int s = 0; s <= steps; s++)
        {
            int changed = (int)Math.Round((double)s * p / steps, MidpointRounding.AwayFromZero);
            int keep = Math.Max(minimum, kind == CurveKind.Deletion ? p - changed : changed);
            if (keep == p && fullProbability is double known)
            {
                for (int m = 0; m < grids.Count; m++) probabilities[m][s] = known;
                continue;
            }
            int firstOfPoint = sets.Count;
            for (int m = 0; m < grids.Count; m++)
            {
                var kept = (kind == CurveKind.Deletion ? orders[m].AsSpan(p - keep, keep) : orders[m].AsSpan(0, keep)).ToArray();
                Array.Sort(kept);
                int found = sets.FindIndex(firstOfPoint, d => d.AsSpan().SequenceEqual(kept));
                if (found < 0) { found = sets.Count; sets.Add(kept); readers.Add([]); }
                readers[found].Add((m, s));
            }
        }
        // One patch embedding, and one projection of the first block's q, k, v, for every subset of the image.
        var embedded = model.EmbedForSubsets(image);
        // Sets of different lengths run together, packed without padding, in batches of about the tokens of batchSize
        // whole images, so a batch costs the tokens it keeps and its GEMMs are as full as the pixel curves'. Every batch
        // has the same token count (TokenBatches): their buffers are then rented once and reused by every batch, where
        // a new size per batch cost fresh, page-faulting memory each time (15 % of a ViT-B curve). They come from an
        // arena of this call's own, dropped with it, rather than filling the model's shared one.
        var buffers = new BufferArena(2L << 30);
        long budget = (long)Math.Max(1, batchSize) * c.NumTokens;
        foreach (var batch in TokenBatches.Plan(sets.Select(set => c.NumPrefixTokens + set.Length).ToArray(), budget, c.NumPrefixTokens + c.NumPatches, c.NumPrefixTokens + minimum))
        {
            cancel.ThrowIfCancellationRequested();
            // a filler is the prefix and the first patches, its logits unread
            var lists = batch.Select(i => i >= 0 ? sets[i] : Enumerable.Range(0, -i - c.NumPrefixTokens).ToArray()).ToList();
            var logits = model.ForwardEmbedded(embedded, lists, buffers).Data;
            for (int j = 0; j < batch.Count; j++)
            {
                if (batch[j] < 0) continue;
                double probability = Probabilities.Of(c, logits.AsSpan(j * k, k))[target];
                foreach (var (m, point) in readers[batch[j]]) probabilities[m][point] = probability;
            }
        }
        int perStep = Math.Max(1, p / steps);
        return probabilities.Select(a => new PerturbationCurve(a, PerturbationCurve.Area(a), target, perStep, 0)).ToArray();
    }
}
