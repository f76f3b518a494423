namespace Vitmix.Data;

/// <summary>PIL's resampling filters, by the names timm's pretrained configs use ("bicubic", "bilinear", ...).</summary>
public enum ResampleFilter
{
    /// <summary>Nearest neighbour ("nearest").</summary>
    Nearest,
    /// <summary>Box filter, support 0.5: the mean of the source pixels a target pixel covers ("box").</summary>
    Box,
    /// <summary>Triangle filter, support 1 ("bilinear", also "linear").</summary>
    Bilinear,
    /// <summary>Hamming-windowed sinc, support 1 ("hamming").</summary>
    Hamming,
    /// <summary>Keys cubic with a = −0.5, support 2, as PIL ("bicubic", also "cubic").</summary>
    Bicubic,
    /// <summary>Lanczos-windowed sinc, support 3 ("lanczos").</summary>
    Lanczos,
}

/// <summary>Names of <see cref="ResampleFilter"/> as written in configs and on the command line.</summary>
public static class ResampleFilters
{
    /// <summary>The canonical name of each filter, indexed by its <see cref="ResampleFilter"/> value.</summary>
    public static readonly string[] Names = ["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"];

    /// <summary>Parses "bicubic", "bilinear", "nearest", "box", "hamming" or "lanczos" (case-insensitive).</summary>
    public static ResampleFilter Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "nearest" => ResampleFilter.Nearest,
        "box" => ResampleFilter.Box,
        "bilinear" or "linear" => ResampleFilter.Bilinear,
        "hamming" => ResampleFilter.Hamming,
        "bicubic" or "cubic" => ResampleFilter.Bicubic,
        "lanczos" => ResampleFilter.Lanczos,
        _ => throw new ArgumentException($"interpolation '{name}' is not one of {string.Join(", ", Names)}"),
    };

    /// <summary>The canonical name of <paramref name="filter"/>, e.g. "bicubic".</summary>
    public static string Name(this ResampleFilter filter) => Names[(int)filter];
}
