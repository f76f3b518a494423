using Vitmix.Data;

namespace Vitmix.Training;

/// <summary>
/// Keeps decoded training images between epochs while they fit a byte budget; the rest are decoded again each epoch
/// (a photo decodes in milliseconds, a ViT step on it takes far longer), so a large ImageFolder cannot exhaust memory.
/// </summary>
public sealed class DecodedImageCache(long budgetBytes)
{
    long left = budgetBytes;

    /// <summary>The default budget: 2 GiB.</summary>
    public const long DefaultBudget = 2L << 30;

    /// <summary>A loader that decodes once and keeps the image while the budget allows.</summary>
    public Func<RgbImage> Wrap(Func<RgbImage> load)
    {
        RgbImage? image = null;
        bool uncached = false;
        return () =>
        {
            if (image != null) return image;
            var decoded = load();
            if (!uncached && TryTake(decoded.Pixels.LongLength)) image = decoded;
            else uncached = true;
            return decoded;
        };
    }

    bool TryTake(long size)
    {
        if (Interlocked.Add(ref left, -size) >= 0) return true;
        Interlocked.Add(ref left, size); // did not fit: give it back
        return false;
    }
}
