using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Which way a perturbation curve walks.</summary>
public enum CurveKind
{
    /// <summary>From the image towards the substrate, most relevant pixels first (RISE deletion).</summary>
    Deletion,
    /// <summary>From the substrate towards the image, most relevant pixels first (RISE insertion).</summary>
    Insertion,
}

/// <summary>The curves of a <see cref="CurveSet"/> and how much work they shared.</summary>
/// <param name="Curves">One curve per <see cref="CurveSet.Add(CurveKind, ReadOnlySpan{int})"/>, in order.</param>
/// <param name="RequestedImages">Perturbed images the curves have in all (points, plus the original when the target class was not given).</param>
/// <param name="EvaluatedImages">Distinct images forwarded: what the network actually ran.</param>
public sealed record CurveSetResult(IReadOnlyList<PerturbationCurve> Curves, int RequestedImages, int EvaluatedImages);

/// <summary>
/// The perturbation curves of several rankings of one image, computed together. Every point of every curve is an
/// image: the original with some set of pixels taken from a substrate. Two points whose sets (and substrate) are the
/// same are the same image, so it is forwarded once: the unperturbed image that every deletion curve starts from (and
/// that insertion needs for its target class), the all-substrate image, and any prefix of steps where two rankings
/// perturb the same pixels (maps that agree on their most relevant pixels, a binary-mask ranking shared by several
/// maps). The distinct images of all curves are then forwarded in full batches, built only when their batch comes
/// (never all at once), in a batch buffer taken from the network's arena.
/// <para>
/// Sets are compared by a Zobrist hash (XOR of a fixed random 64-bit word per pixel, so a prefix's hash is updated
/// pixel by pixel and a complement's is one XOR away), and every hash match is confirmed pixel by pixel before two
/// points share an image: a collision costs time, never a wrong number.
/// </para>
/// </summary>
public sealed class CurveSet
{
    readonly VisionTransformer network;
    readonly Tensor image;
    readonly PerturbationOptions options;
    readonly List<(CurveKind Kind, int[] Order, PerturbationSubstrate Substrate)> curves = [];
    readonly int channels, height, width, plane;

    /// <summary>
    /// Curves of <paramref name="image"/> (one normalised image [1, C, H, W] of the network's size) under
    /// <paramref name="options"/> (steps or fractions, batch size, target class, substrate).
    /// </summary>
    public CurveSet(VisionTransformer network, Tensor image, PerturbationOptions? options = null)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        this.image = image ?? throw new ArgumentNullException(nameof(image));
        this.options = options ?? new PerturbationOptions();
        if (this.options.BatchSize < 1) throw new ArgumentException($"perturbation batch size {this.options.BatchSize} must be at least 1");
        var c = network.Config;
        if (image.Rank != 4 || image.Dim(0) != 1 || image.Dim(1) != c.InChannels || image.Dim(2) != c.ImageHeight || image.Dim(3) != c.ImageWidth)
            throw new ArgumentException($"perturbation needs one normalised image [1, {c.InChannels}, {c.ImageHeight}, {c.ImageWidth}], got {image}");
        (channels, height, width) = (c.InChannels, c.ImageHeight, c.ImageWidth);
        plane = checked(height * width);
        Schedule = this.options.Fractions is { } f ? CurveSchedule.Fractions(f, plane) : CurveSchedule.EvenSteps(this.options.Steps, plane);
    }

    /// <summary>Where every curve of the set is sampled.</summary>
    public CurveSchedule Schedule { get; }

    /// <summary>Number of curves added.</summary>
    public int Count => curves.Count;

    /// <summary>Adds the curve of an explicit pixel order (a permutation of the H·W flat indices); returns its index.</summary>
    public int Add(CurveKind kind, ReadOnlySpan<int> order)
    {
        PixelOrder.Validate(order, plane, "perturbation order");
        var substrate = options.Substrate ?? (kind == CurveKind.Deletion ? PerturbationSubstrate.Zeros : PerturbationSubstrate.Blur);
        curves.Add((kind, order.ToArray(), substrate));
        return curves.Count - 1;
    }

    /// <summary>Adds the curve of the pixels ranked by <paramref name="map"/> (H·W values, descending, ties by index).</summary>
    public int Add(CurveKind kind, ReadOnlySpan<float> map) => Add(kind, PixelOrder.Descending(map));

    /// <summary>Forwards every distinct perturbed image once, in batches, and reads each curve off the results.</summary>
    public CurveSetResult Compute(CancellationToken cancel = default)
    {
        var counts = Schedule.PixelCounts;
        int points = counts.Count, k = network.Config.NumClasses, size = channels * plane;
        var keys = PixelKeys(plane);

        // Distinct images, each named by one point that shows it: (curve, point), or (-1, -1) for the original.
        var images = new List<(int Curve, int Point)>();
        var byKey = new Dictionary<(int Substrate, int Size, ulong Hash), List<int>>();
        var imageOf = new int[curves.Count][];
        var verify = new SetComparer(plane);
        int original = -1;
        int OriginalImage()
        {
            if (original < 0) { original = images.Count; images.Add((-1, -1)); }
            return original;
        }
        if (options.TargetClass is null) OriginalImage();
        bool originalIsAPoint = false;
        ulong all = 0;
        for (int p = 0; p < plane; p++) all ^= keys[p];
        for (int c = 0; c < curves.Count; c++)
        {
            var (kind, order, substrate) = curves[c];
            imageOf[c] = new int[points];
            ulong prefix = 0;
            int taken = 0;
            for (int j = 0; j < points; j++)
            {
                for (; taken < counts[j]; taken++) prefix ^= keys[order[taken]];
                // The pixels showing the substrate: the prefix when deleting, the rest when inserting.
                int setSize = kind == CurveKind.Deletion ? counts[j] : plane - counts[j];
                if (setSize == 0) { imageOf[c][j] = OriginalImage(); originalIsAPoint = true; continue; }
                var key = ((int)substrate, setSize, kind == CurveKind.Deletion ? prefix : all ^ prefix);
                if (!byKey.TryGetValue(key, out var candidates)) byKey[key] = candidates = [];
                int found = -1;
                foreach (int u in candidates)
                    if (verify.Same(SubstrateSet(images[u]), SubstrateSet((c, j)))) { found = u; break; }
                if (found < 0)
                {
                    found = images.Count;
                    images.Add((c, j));
                    candidates.Add(found);
                }
                imageOf[c][j] = found;
            }
        }

        var substrates = new Dictionary<PerturbationSubstrate, float[]>();
        foreach (var (_, _, s) in curves)
            if (!substrates.ContainsKey(s))
                substrates[s] = Substrates.Create(s, image.Data, channels, height, width, options.NormalizationMean, options.NormalizationStd);

        // Forward the distinct images in full batches, building each into its slot just before its batch runs.
        var logits = new float[(long)images.Count * k];
        int batch = Math.Min(options.BatchSize, images.Count);
        var arena = network.Buffers;
        for (int first = 0; first < images.Count; first += batch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(batch, images.Count - first);
            var buffer = arena.Rent((long)n * size);
            try
            {
                for (int b = 0; b < n; b++) Build(images[first + b], substrates, buffer.AsSpan(b * size, size));
                network.Forward(new Tensor(buffer, n, channels, height, width)).Data.AsSpan(0, n * k).CopyTo(logits.AsSpan(first * k));
            }
            finally { arena.Return(buffer); }
        }

        int target = options.TargetClass ?? Probabilities.ArgMax(logits.AsSpan(original * k, k));
        if ((uint)target >= (uint)k) throw new ArgumentException($"target class {target} is outside 0..{k - 1}");
        var probability = new double[images.Count];
        for (int u = 0; u < images.Count; u++)
        {
            var row = logits.AsSpan(u * k, k);
            // SigLIP's zero-shot classes are scored each by its own sigmoid
            if (network.Config.ZeroShot == ZeroShotScores.Sigmoid) { probability[u] = 1 / (1 + Math.Exp(-(double)row[target])); continue; }
            Softmax.Rows(row, 1, k);
            probability[u] = row[target];
        }
        var result = new PerturbationCurve[curves.Count];
        int neverChanged = plane - counts[^1];
        for (int c = 0; c < curves.Count; c++)
        {
            var values = new double[points];
            for (int j = 0; j < points; j++) values[j] = probability[imageOf[c][j]];
            result[c] = new PerturbationCurve(values, Schedule.Area(values), target, Schedule.PixelsPerStep, neverChanged);
        }
        int requested = curves.Count * points + (options.TargetClass is null && !originalIsAPoint ? 1 : 0);
        return new CurveSetResult(result, requested, images.Count);
    }

    /// <summary>The pixels of a point that show the substrate, as a slice of its curve's order.</summary>
    (int[] Order, int Start, int End) SubstrateSet((int Curve, int Point) at)
    {
        var (kind, order, _) = curves[at.Curve];
        int taken = Schedule.PixelCounts[at.Point];
        return kind == CurveKind.Deletion ? (order, 0, taken) : (order, taken, plane);
    }

    void Build((int Curve, int Point) at, Dictionary<PerturbationSubstrate, float[]> substrates, Span<float> slot)
    {
        if (at.Curve < 0) { image.Data.CopyTo(slot); return; }
        var (kind, order, substrate) = curves[at.Curve];
        var sub = substrates[substrate];
        // From the walk's start, with the point's pixels taken from its end (all channels), as the reference walks.
        float[] from = kind == CurveKind.Deletion ? image.Data : sub, to = kind == CurveKind.Deletion ? sub : image.Data;
        from.CopyTo(slot);
        int taken = Schedule.PixelCounts[at.Point];
        foreach (int p in order.AsSpan(0, taken))
            for (int q = 0, i = p; q < channels; q++, i += plane) slot[i] = to[i];
    }

    /// <summary>A fixed pseudo-random 64-bit word per pixel (<see cref="SplitMix64"/> from a constant seed), shared per image size.</summary>
    static ulong[] PixelKeys(int pixels)
    {
        lock (KeysByPlane)
        {
            if (KeysByPlane.TryGetValue(pixels, out var cached)) return cached;
            var keys = new ulong[pixels];
            var random = new SplitMix64(seed: 0x5EED_CAFE, stream: 0);
            for (int i = 0; i < pixels; i++) keys[i] = random.Next();
            if (KeysByPlane.Count > 8) KeysByPlane.Clear();
            KeysByPlane[pixels] = keys;
            return keys;
        }
    }

    static readonly Dictionary<int, ulong[]> KeysByPlane = [];

    /// <summary>Exact comparison of two pixel sets given as slices of orders, with a stamped scratch array.</summary>
    sealed class SetComparer(int pixels)
    {
        readonly int[] stamp = new int[pixels];
        int current;

        public bool Same((int[] Order, int Start, int End) a, (int[] Order, int Start, int End) b)
        {
            if (a.End - a.Start != b.End - b.Start) return false;
            if (++current == int.MaxValue) { Array.Clear(stamp); current = 1; }
            foreach (int p in a.Order.AsSpan(a.Start, a.End - a.Start)) stamp[p] = current;
            foreach (int p in b.Order.AsSpan(b.Start, b.End - b.Start)) if (stamp[p] != current) return false;
            return true;
        }
    }
}
