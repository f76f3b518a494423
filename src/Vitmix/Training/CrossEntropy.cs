namespace Vitmix.Training;

/// <summary>Softmax cross-entropy with optional class weights (torch.nn.CrossEntropyLoss(weight=...) semantics: weighted mean).</summary>
public static class CrossEntropy
{
    /// <summary>Returns the mean loss and writes dLoss/dlogits into <paramref name="gradient"/> (B,K).</summary>
    public static double LossAndGradient(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes,
        Span<float> gradient, float[]? classWeights = null, float labelSmoothing = 0f)
    {
        int b = labels.Length;
        double total = 0, weightSum = 0;
        var p = new double[classes];
        for (int i = 0; i < b; i++)
        {
            double w = classWeights?[labels[i]] ?? 1.0;
            weightSum += w;
        }
        for (int i = 0; i < b; i++)
        {
            var z = logits.Slice(i * classes, classes);
            double max = double.NegativeInfinity;
            foreach (var v in z) max = Math.Max(max, v);
            double sum = 0;
            for (int k = 0; k < classes; k++) { p[k] = Math.Exp(z[k] - max); sum += p[k]; }
            double w = (classWeights?[labels[i]] ?? 1.0) / weightSum;
            for (int k = 0; k < classes; k++)
            {
                p[k] /= sum;
                double target = (k == labels[i] ? 1 - labelSmoothing : 0) + labelSmoothing / classes;
                total -= w * target * Math.Log(Math.Max(p[k], 1e-30));
                gradient[i * classes + k] = (float)(w * (p[k] - target));
            }
        }
        return total;
    }
}
