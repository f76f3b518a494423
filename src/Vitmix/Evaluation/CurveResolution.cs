namespace Vitmix.Evaluation;

/// <summary>How the AUCs of one curve kind change when the curves have fewer steps.</summary>
/// <param name="Kind">"deletion" or "insertion".</param>
/// <param name="Steps">The coarser number of steps m (the run's own n in the first row).</param>
/// <param name="MeanAbsoluteDifference">Mean over every image and map of |AUC with m steps − AUC with n steps|.</param>
/// <param name="MaxAbsoluteDifference">The largest such difference.</param>
/// <param name="RankCorrelation">Spearman's ρ between the maps' mean AUCs with m and with n steps (1: the same ranking); NaN with fewer than 2 maps.</param>
public sealed record CurveResolutionRow(string Kind, int Steps, double MeanAbsoluteDifference, double MaxAbsoluteDifference, double RankCorrelation);

/// <summary>
/// What the number of curve steps does to the AUC, read off a run's own curves: an n-step curve sampled at every
/// (n/m)-th point is the curve of m steps of (n/m)·floor(H·W/n) pixels, within n/m pixels per step of an m-step run's
/// floor(H·W/m). So a 100-step run shows, without another forward, what 50, 20, 10 or 5 steps would have reported.
/// </summary>
public static class CurveResolution
{
    /// <summary>The coarser step counts tried: those of these that divide the run's steps.</summary>
    public static IReadOnlyList<int> Candidates { get; } = [50, 25, 20, 10, 5];

    /// <summary>One row per curve kind and step count m &lt; n dividing n (the curves must all have n + 1 points).</summary>
    public static IReadOnlyList<CurveResolutionRow> Analyse(IReadOnlyList<CurveRow> curves)
    {
        var rows = new List<CurveResolutionRow>();
        foreach (var kind in curves.Select(c => c.Kind).Distinct(StringComparer.Ordinal))
        {
            var ofKind = curves.Where(c => c.Kind == kind).ToList();
            int points = ofKind[0].Values.Length;
            if (points < 3 || ofKind.Any(c => c.Values.Length != points)) continue;
            int n = points - 1;
            var full = ofKind.Select(c => PerturbationCurve.Area(c.Values)).ToArray();
            var maps = ofKind.Select(c => c.Map.DisplayName).Distinct(StringComparer.Ordinal).ToList();
            foreach (int m in Candidates.Where(m => m < n && n % m == 0))
            {
                int stride = n / m;
                var coarse = ofKind.Select(c => PerturbationCurve.Area(Enumerable.Range(0, m + 1).Select(i => c.Values[i * stride]).ToArray())).ToArray();
                var diff = full.Zip(coarse, (a, b) => Math.Abs(a - b)).ToArray();
                double MeanOf(double[] auc, string map) => ofKind.Select((c, i) => (c, i)).Where(x => x.c.Map.DisplayName == map).Average(x => auc[x.i]);
                double rho = maps.Count < 2 ? double.NaN
                    : SpearmanCorrelation.Compute(maps.Select(map => MeanOf(full, map)).ToArray(), maps.Select(map => MeanOf(coarse, map)).ToArray());
                rows.Add(new CurveResolutionRow(kind, m, diff.Average(), diff.Max(), rho));
            }
        }
        return rows;
    }
}
