using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>
/// Architectures to train from scratch: timm's ViT sizes (tiny 192 wide / 12 deep / 3 heads, small 384/12/6, base
/// 768/12/12, at 224 px with 16 px patches) and "micro" (96/4/3 at 64 px with 8 px patches) for small synthetic tasks.
/// Any size can be overridden.
/// </summary>
public static class ArchitecturePresets
{
    /// <summary>The preset names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["micro", "tiny", "small", "base"];

    /// <summary>The preset <paramref name="name"/> with the given sizes replaced, for <paramref name="classes"/> classes; MLP width 4·D.</summary>
    public static VitConfig Create(string name, int classes, int? imageSize = null, int? patchSize = null, int? embedDim = null,
        int? depth = null, int? heads = null)
    {
        var (d, l, h, size, p) = name switch
        {
            "micro" => (96, 4, 3, 64, 8),
            "tiny" => (192, 12, 3, 224, 16),
            "small" => (384, 12, 6, 224, 16),
            "base" => (768, 12, 12, 224, 16),
            _ => throw new ArgumentException($"unknown architecture '{name}', expected one of {string.Join(", ", Names)}"),
        };
        d = embedDim ?? d; l = depth ?? l; h = heads ?? h; size = imageSize ?? size; p = patchSize ?? p;
        var config = new VitConfig { ImageHeight = size, ImageWidth = size, PatchSize = p, EmbedDim = d, Depth = l, NumHeads = h, MlpHidden = 4 * d, NumClasses = classes };
        config.Validate();
        return config;
    }
}
