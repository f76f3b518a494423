using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>
/// The ROAD MoRF and LeRF curves of one map: the target probability at each fraction, and their means.
/// </summary>
/// <param name="Fractions">The fractions of pixels removed.</param>
/// <param name="Morf">Probability with the most relevant ⌊n·f⌋ pixels imputed, per fraction f.</param>
/// <param name="Lerf">Probability with the least relevant ⌊n·f⌋ pixels imputed, per fraction f.</param>
public sealed record RoadCurve(IReadOnlyList<double> Fractions, double[] Morf, double[] Lerf)
{
    /// <summary>Mean MoRF probability over the fractions; lower is better.</summary>
    public double MorfMean => Morf.Average();
    /// <summary>Mean LeRF probability over the fractions; higher is better.</summary>
    public double LerfMean => Lerf.Average();
    /// <summary>LeRF − MoRF; higher is better.</summary>
    public double Gap => LerfMean - MorfMean;
}

/// <summary>The curves.csv kinds of the ROAD curves: one value per fraction (<see cref="RoadCurves.DefaultFractions"/>).</summary>
public static class RoadCurveKinds
{
    /// <summary>Most relevant pixels imputed first.</summary>
    public const string Morf = "road-morf";
    /// <summary>Least relevant pixels imputed first.</summary>
    public const string Lerf = "road-lerf";

    /// <summary>Whether <paramref name="kind"/> is a ROAD curve, sampled at fractions rather than at even steps.</summary>
    public static bool Is(string kind) => kind is Morf or Lerf;
}

/// <summary>
/// ROAD, Remove And Debias (Rong et al., ICML 2022; tleemann/road_evaluation, retraining-free): at each fraction f the
/// most (MoRF) or least (LeRF) relevant ⌊H·W·f⌋ pixels of a map's ranking are filled by
/// <see cref="NoisyLinearImputer"/> and the model's softmax probability of the target class is read. The reference
/// averages that probability over the images per fraction; the single numbers here are the mean over the fractions
/// (<see cref="RoadCurve.MorfMean"/>, <see cref="RoadCurve.LerfMean"/>) and their difference, LeRF − MoRF.
/// <para>
/// As the reference: ⌊H·W·f⌋ is Python's int(H·W·f); its ImputedDataset with remove=False removes the pixels ranked
/// after int(H·W·p), i.e. its p is the share kept, and its curves are flipped to "fraction removed" — LeRF at f here is
/// its p = 1 − f, up to one pixel of rounding. The default fractions are its experiments' (10, 20, 30, 40, 50, 70,
/// 90 %). Unlike it, ties are broken by pixel index (<see cref="PixelOrder.Descending"/>) rather than by adding
/// 10⁻⁴ Gaussian noise to the map: the curves are deterministic.
/// </para>
/// <para>
/// Noise: for image stream s (the caller's, e.g. the dataset index) and fraction index k, one field of C·H·W standard
/// normals is drawn from <see cref="SplitMixGaussian"/> stream s·F + k of the seed (F fractions) and scaled per channel
/// to σ/std_c (σ in [0, 1] pixel space, as the reference adds it before normalising). Every map and both orders of a
/// fraction use that field at the pixels they remove, so two maps that remove the same pixels see the same image and
/// their difference is the ranking's alone.
/// </para>
/// </summary>
public static class RoadCurves
{
    /// <summary>The reference experiments' fractions (road_evaluation, experiments/cifar10/*_params.json).</summary>
    public static IReadOnlyList<double> DefaultFractions { get; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9];

    /// <summary>The most fractions a run may ask for: each costs two imputed images per map.</summary>
    public const int MaxFractions = 99;

    /// <summary>
    /// Fractions written as "0.1,0.3,0.5": 1 to <see cref="MaxFractions"/> numbers, each in [0, 1) (every pixel imputed
    /// leaves no neighbour to impute from), increasing; an <see cref="ArgumentException"/> naming <paramref name="source"/> otherwise.
    /// </summary>
    public static IReadOnlyList<double> ParseFractions(string text, string source)
    {
        int count = text.Count(c => c == ',') + 1;
        if (count > MaxFractions) throw new ArgumentException($"{source}: {count} fractions, at most {MaxFractions}");
        var values = CurveSchedule.ParseNumbers(text, source);
        string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] < 0 || values[i] >= 1) throw new ArgumentException($"{source}: {F(values[i])} is not in [0, 1) (every pixel imputed leaves no neighbour to impute from)");
            if (i > 0 && values[i] <= values[i - 1]) throw new ArgumentException($"{source}: fractions must increase: {F(values[i - 1])} is followed by {F(values[i])}");
        }
        return values;
    }

    /// <summary>Per-channel noise σ in the normalised input space: <paramref name="sigma"/> (pixel units, [0, 1]) / std_c.</summary>
    public static float[] NoiseScale(IReadOnlyList<float> std, float sigma = NoisyLinearImputer.DefaultNoise) =>
        std.Select(s => sigma / s).ToArray();

    /// <summary>The pixels removed at <paramref name="fraction"/>: the first ⌊n·f⌋ of <paramref name="order"/> (MoRF) or its last ⌊n·f⌋ (LeRF).</summary>
    public static void RemovedPixels(ReadOnlySpan<int> order, double fraction, bool mostRelevantFirst, Span<bool> removed)
    {
        int n = order.Length, count = (int)(n * fraction);
        removed.Clear();
        var chosen = mostRelevantFirst ? order[..count] : order[(n - count)..];
        foreach (int pixel in chosen) removed[pixel] = true;
    }

    /// <summary>
    /// The curves of <paramref name="maps"/> (each H·W, higher = more relevant) on the normalised
    /// <paramref name="image"/> (1, C, H, W) for <paramref name="target"/>. <paramref name="noiseScale"/>: per-channel σ
    /// in the input's space (<see cref="NoiseScale"/>), all zeros for a noiseless imputation.
    /// </summary>
    public static RoadCurve[] Compute(VisionTransformer model, Tensor image, int target, IReadOnlyList<float[]> maps, IReadOnlyList<float> noiseScale,
        long seed, long stream, IReadOnlyList<double>? fractions = null, int batchSize = 32, CancellationToken cancel = default)
    {
        var c = model.Config;
        int channels = c.InChannels, h = c.ImageHeight, w = c.ImageWidth, plane = h * w, size = channels * plane, k = c.NumClasses;
        fractions ??= DefaultFractions;
        foreach (double f in fractions)
            if (!(f >= 0 && f < 1)) throw new ArgumentException($"ROAD fraction {f} is outside [0, 1)");
        if (noiseScale.Count != channels) throw new ArgumentException($"ROAD noise has {noiseScale.Count} channel scales for {channels} channels");
        if (image.Data.Length != size) throw new ArgumentException($"image has {image.Data.Length} values, expected {channels}x{h}x{w}");
        var orders = maps.Select(m => m.Length == plane ? PixelOrder.Descending(m) : throw new ArgumentException($"a map of {m.Length} values for {h}x{w} pixels")).ToArray();
        var curves = maps.Select(_ => new RoadCurve(fractions, new double[fractions.Count], new double[fractions.Count])).ToArray();

        // Jobs (fraction, map, order) fill the batch in turn; a full batch (or the last) is forwarded at once.
        int jobs = fractions.Count * maps.Count * 2;
        if (jobs == 0) return curves;
        batchSize = Math.Max(1, Math.Min(batchSize, jobs));
        var batch = new Tensor(batchSize, channels, h, w);
        var slots = new (int Map, int Fraction, bool Morf)[batchSize];
        var imputer = new NoisyLinearImputer();
        var noise = new float[size];
        var removed = new bool[plane];
        int filled = 0;
        void Flush()
        {
            var input = filled == batchSize ? batch : new Tensor(batch.Data.AsSpan(0, filled * size).ToArray(), filled, channels, h, w);
            var logits = model.Forward(input).Data;
            for (int j = 0; j < filled; j++)
            {
                var (m, f, morf) = slots[j];
                double probability = Probabilities.Of(c, logits.AsSpan(j * k, k))[target];
                (morf ? curves[m].Morf : curves[m].Lerf)[f] = probability;
            }
            filled = 0;
        }
        for (int f = 0; f < fractions.Count; f++)
        {
            SplitMixGaussian.Fill(seed, stream * fractions.Count + f, 1f, noise);
            for (int ch = 0; ch < channels; ch++)
            {
                float scale = noiseScale[ch];
                foreach (ref float v in noise.AsSpan(ch * plane, plane)) v *= scale;
            }
            for (int m = 0; m < maps.Count; m++)
                foreach (bool morf in (ReadOnlySpan<bool>)[true, false])
                {
                    cancel.ThrowIfCancellationRequested();
                    RemovedPixels(orders[m], fractions[f], morf, removed);
                    var slot = batch.Data.AsSpan(filled * size, size);
                    image.Data.CopyTo(slot);
                    imputer.Impute(slot, channels, h, w, removed, noise);
                    slots[filled++] = (m, f, morf);
                    if (filled == batchSize) Flush();
                }
        }
        if (filled > 0) Flush();
        return curves;
    }
}
