namespace Vitmix.Model;

/// <summary>
/// The 1000 ImageNet-1k (ILSVRC2012) class names in standard class-index order, as timm, transformers
/// (<c>utils/imagenet_classes.py</c>) and Chefer et al. (<c>CLS2IDX.py</c>) use them: index 0 "tench, Tinca tinca",
/// index 999 "toilet tissue, toilet paper, bathroom tissue". Used when a 1000-class checkpoint names no labels.
/// Names are not unique (134 and 517 are both "crane"), so key by index, never by name.
/// </summary>
public static class ImageNetClasses
{
    /// <summary>The number of ImageNet-1k classes.</summary>
    public const int Count = 1000;

    const string ResourceName = "Vitmix.Model.Resources.imagenet1k_classes.txt";

    static readonly Lazy<string[]> names = new(Load);

    /// <summary>The 1000 names, index = class index. A fresh copy each call, so callers may keep or change it.</summary>
    public static string[] Names => (string[])names.Value.Clone();

    /// <summary>The name of class <paramref name="index"/> (0..999).</summary>
    public static string Name(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return names.Value[index];
    }

    static string[] Load()
    {
        using Stream stream = typeof(ImageNetClasses).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidDataException($"embedded resource '{ResourceName}' is missing from {typeof(ImageNetClasses).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        string[] lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimEnd('\r')).ToArray();
        if (lines.Length != Count)
            throw new InvalidDataException($"embedded resource '{ResourceName}' has {lines.Length} names, expected {Count}");
        return lines;
    }
}
