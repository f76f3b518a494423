using System.Globalization;

namespace Vitmix.Training;

/// <summary>Per-class loss weights, for unbalanced data (PH2's 80/80/40 lesions).</summary>
public static class ClassWeights
{
    /// <summary>scikit-learn's "balanced" weights, n / (k · count_c); a class without images gets 0.</summary>
    public static float[] Balanced(IEnumerable<LabelledImage> train, int classes)
    {
        var counts = new int[classes];
        int n = 0;
        foreach (var i in train) { counts[i.Label]++; n++; }
        return counts.Select(c => c == 0 ? 0f : (float)n / (classes * c)).ToArray();
    }

    /// <summary>"balanced", or one non-negative number per class separated by commas.</summary>
    public static float[] Parse(string text, IEnumerable<LabelledImage> train, int classes)
    {
        if (text.Trim().Equals("balanced", StringComparison.OrdinalIgnoreCase)) return Balanced(train, classes);
        var values = text.Split(',').Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f >= 0 && float.IsFinite(f)
            ? f : throw new ArgumentException($"class weight '{v.Trim()}' is not a non-negative number")).ToArray();
        return values.Length == classes ? values : throw new ArgumentException($"{values.Length} class weights for {classes} classes");
    }
}
