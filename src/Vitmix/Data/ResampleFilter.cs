namespace Vitmix.Data;

/// <summary>PIL's resampling filters, by the names timm's pretrained configs use ("bicubic", "bilinear", ...).</summary>
public enum ResampleFilter
{
    Nearest,
    Box,
    Bilinear,
    Hamming,
    Bicubic,
    Lanczos,
}

/// <summary>Names of <see cref="ResampleFilter"/> as written in configs and on the command line.</summary>
public static class ResampleFilters
{
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

    public static string Name(this ResampleFilter filter) => Names[(int)filter];
}
