using System.Globalization;

namespace Vitmix.Hub;

/// <summary>
/// Byte counts the server states (<c>X-Linked-Size</c>, <c>Content-Length</c>, <c>Content-Range</c>) are checked
/// before they size or bound anything: a negative, unparsable or absurd count is refused with the header named,
/// rather than trusted as the length of a download, a progress total or a file to wait for.
/// </summary>
internal static class HubByteCount
{
    /// <summary>
    /// The largest file accepted, 1 TiB: ten times the largest ViT checkpoint published (ViT-22B, about 86 GB in
    /// float32), and far below what would overflow a sum of several files.
    /// </summary>
    public const long Max = 1L << 40;

    /// <summary>
    /// The count in <paramref name="value"/>, null when the header is absent; a <see cref="HubException"/> naming the
    /// repository, <paramref name="source"/> and the value when it is not a whole number in [0, <see cref="Max"/>].
    /// </summary>
    public static long? Parse(HubModelId id, string? value, string source)
    {
        if (value == null) return null;
        if (!long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count > Max)
            throw new HubException($"{id.RepoId}: {source} '{Shown(value)}' is not a byte count between 0 and {Max} (1 TiB)");
        return count;
    }

    static string Shown(string value) =>
        string.Concat((value.Length > 40 ? value[..40] + "…" : value).Select(c => char.IsControl(c) ? '?' : c));
}
