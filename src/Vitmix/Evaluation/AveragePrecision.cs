namespace Vitmix.Evaluation;

/// <summary>
/// Average precision with scikit-learn's <c>average_precision_score</c> semantics: AP = Σ_n (R_n − R_{n−1}) · P_n
/// over the distinct score thresholds in descending order (step-wise, no interpolation; tied scores form one step).
/// </summary>
public static class AveragePrecision
{
    /// <summary>AP of <paramref name="scores"/> against binary <paramref name="labels"/> (non-zero = positive); 0 when there is no positive (as Chefer's nan_to_num).</summary>
    public static double Compute(ReadOnlySpan<float> scores, ReadOnlySpan<byte> labels)
    {
        if (scores.Length != labels.Length) throw new ArgumentException($"{scores.Length} scores for {labels.Length} labels");
        int n = scores.Length;
        var order = PixelOrder.Descending(scores);
        long positives = 0;
        foreach (byte l in labels) if (l != 0) positives++;
        if (positives == 0) return 0;
        long tp = 0, fp = 0;
        double ap = 0, prevRecall = 0;
        for (int i = 0; i < n;)
        {
            float s = scores[order[i]];
            // One threshold per distinct score: take the whole group of ties before measuring.
            while (i < n && scores[order[i]] == s)
            {
                if (labels[order[i]] != 0) tp++; else fp++;
                i++;
            }
            double recall = (double)tp / positives;
            double precision = (double)tp / (tp + fp);
            ap += (recall - prevRecall) * precision;
            prevRecall = recall;
        }
        return ap;
    }
}
