namespace Vitmix.Model;

/// <summary>Class probabilities from logits.</summary>
public static class Probabilities
{
    /// <summary>softmax computed in double precision (stable: max subtracted).</summary>
    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var e = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) { e[i] = Math.Exp(logits[i] - max); sum += e[i]; }
        var p = new float[logits.Length];
        for (int i = 0; i < p.Length; i++) p[i] = (float)(e[i] / sum);
        return p;
    }

    /// <summary>Each logit's own sigmoid 1/(1 + e^−z), in double precision: SigLIP's class probabilities (independent, not summing to 1).</summary>
    public static float[] Sigmoid(ReadOnlySpan<float> logits)
    {
        var p = new float[logits.Length];
        for (int i = 0; i < p.Length; i++) p[i] = (float)(1 / (1 + Math.Exp(-(double)logits[i])));
        return p;
    }

    /// <summary>The probabilities of <paramref name="config"/>'s model: a sigmoid per class for SigLIP's zero-shot head, else the softmax.</summary>
    public static float[] Of(VitConfig config, ReadOnlySpan<float> logits) =>
        config.ZeroShot == ZeroShotScores.Sigmoid ? Sigmoid(logits) : Softmax(logits);

    /// <summary>The index of the largest logit (the first one on a tie), the predicted class.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("no logits");
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
