namespace Vitmix.Evaluation;

/// <summary>A method's detection rates over the dataset: p = P(X = 1 | t ∈ R), q = P(X = 1 | t ∉ R).</summary>
public sealed record MethodRates(string Method, double P, double Q, double Precision, long TruePositive, long FalsePositive);

/// <summary>
/// One combination's precision: predicted from the per-method rates under conditional independence given R, with
/// equal priors (the talk's p^k / (p^k + q^k), generalised to Π p_i / (Π p_i + Π q_i)) and with the measured prior
/// π = |R| / n (π Π p_i / (π Π p_i + (1 − π) Π q_i)), against the precision measured on the intersection of the masks.
/// </summary>
public sealed record PrecisionGainRow(IReadOnlyList<string> Methods, double PredictedEqualPrior, double PredictedWithPrior, double Measured,
    long IntersectionPixels, double BestSingleMeasured);

/// <summary>
/// The precision-gain hypothesis (ViTmiX talk, equation 1): intersecting k masks that err independently raises the
/// precision. Accumulates, over a dataset, each method's TP/FP and each combination's intersection TP/FP (pixels pooled
/// over images, void 255 excluded), then predicts and measures each combination's precision.
/// </summary>
public sealed class PrecisionGainAnalysis
{
    readonly string[] methods;
    readonly int[][] combos;
    readonly long[] tp, fp, comboTp, comboFp;
    long inside, outside;

    /// <param name="methods">Method names, the keys of the masks given to <see cref="Add"/>.</param>
    /// <param name="combinations">Combinations to measure (each a list of method names); null = every subset of size ≥ 2.</param>
    public PrecisionGainAnalysis(IReadOnlyList<string> methods, IEnumerable<IReadOnlyList<string>>? combinations = null)
    {
        this.methods = [.. methods];
        if (this.methods.Length == 0) throw new ArgumentException("precision gain needs at least one method");
        var index = this.methods.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
        combos = combinations is null
            ? [.. Enumerable.Range(1, (1 << this.methods.Length) - 1).Where(s => System.Numerics.BitOperations.PopCount((uint)s) >= 2)
                .OrderBy(s => System.Numerics.BitOperations.PopCount((uint)s)).ThenBy(s => s)
                .Select(s => Enumerable.Range(0, this.methods.Length).Where(i => (s >> i & 1) != 0).ToArray())]
            : [.. combinations.Select(c => c.Select(m => index.TryGetValue(m, out int i) ? i
                : throw new ArgumentException($"combination {Vitmix.Fusion.MapId.JoinMethods(c)} names '{m}', not one of the methods {string.Join(", ", this.methods)}")).ToArray())];
        tp = new long[this.methods.Length]; fp = new long[this.methods.Length];
        comboTp = new long[combos.Length]; comboFp = new long[combos.Length];
    }

    /// <summary>Adds one image: a binary mask per method (same pixels) and the ground truth (0/1/255).</summary>
    public void Add(IReadOnlyDictionary<string, byte[]> masks, ReadOnlySpan<byte> truth)
    {
        var m = new byte[methods.Length][];
        for (int i = 0; i < methods.Length; i++)
        {
            if (!masks.TryGetValue(methods[i], out var mask)) throw new ArgumentException($"no mask for method '{methods[i]}' (got {string.Join(", ", masks.Keys)})");
            if (mask.Length != truth.Length) throw new ArgumentException($"mask of '{methods[i]}' has {mask.Length} pixels, ground truth {truth.Length}");
            m[i] = mask;
        }
        for (int p = 0; p < truth.Length; p++)
        {
            byte g = truth[p];
            if (g == 255) continue;
            bool obj = g != 0;
            if (obj) inside++; else outside++;
            for (int i = 0; i < m.Length; i++)
                if (m[i][p] != 0) { if (obj) tp[i]++; else fp[i]++; }
            for (int c = 0; c < combos.Length; c++)
            {
                bool all = true;
                foreach (int i in combos[c]) if (m[i][p] == 0) { all = false; break; }
                if (all) { if (obj) comboTp[c]++; else comboFp[c]++; }
            }
        }
    }

    /// <summary>p, q and measured precision of every method.</summary>
    public IReadOnlyList<MethodRates> Rates() =>
        [.. methods.Select((name, i) => new MethodRates(name, Div(tp[i], inside), Div(fp[i], outside), Div(tp[i], tp[i] + fp[i]), tp[i], fp[i]))];

    /// <summary>Predicted vs measured precision of every combination.</summary>
    public IReadOnlyList<PrecisionGainRow> Rows()
    {
        var rates = Rates();
        double prior = Div(inside, inside + outside);
        var rows = new List<PrecisionGainRow>();
        for (int c = 0; c < combos.Length; c++)
        {
            double pp = 1, qq = 1, best = 0;
            foreach (int i in combos[c]) { pp *= rates[i].P; qq *= rates[i].Q; best = Math.Max(best, rates[i].Precision); }
            double equal = Div(pp, pp + qq), withPrior = Div(prior * pp, prior * pp + (1 - prior) * qq);
            rows.Add(new PrecisionGainRow([.. combos[c].Select(i => methods[i])], equal, withPrior,
                Div(comboTp[c], comboTp[c] + comboFp[c]), comboTp[c] + comboFp[c], best));
        }
        return rows;
    }

    static double Div(double a, double b) => b != 0 ? a / b : 0;
}
