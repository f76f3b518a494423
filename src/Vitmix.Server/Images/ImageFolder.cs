using Vitmix.Data;

namespace Vitmix.Server.Images;

/// <summary>
/// The images of <c>--images DIR</c>, the only files the server reads on a client's behalf. A client names an entry;
/// the name must be one of the current listing's, compared exactly, so no client text ever becomes a path: "..",
/// absolute paths, encoded separators and other folders are simply not in the list. The listing holds the image
/// files directly in the folder (as <c>vitmix explain DIR</c> takes them); a symbolic link is listed only when its
/// final target lies inside the folder, and linked sub-folders are not entered at all.
/// </summary>
public sealed class ImageFolder
{
    /// <summary>Most entries listed: a guard against a folder of millions of files, not a limit of the page.</summary>
    public const int MaxEntries = 10_000;

    readonly string root;

    /// <summary>The folder <paramref name="path"/> (resolved through links once); throws when it does not exist.</summary>
    public ImageFolder(string path)
    {
        var info = new DirectoryInfo(Path.GetFullPath(path));
        if (!info.Exists) throw new DirectoryNotFoundException($"{path}: --images folder not found");
        root = Path.TrimEndingDirectorySeparator((info.ResolveLinkTarget(returnFinalTarget: true) as DirectoryInfo ?? info).FullName);
    }

    /// <summary>The folder as resolved.</summary>
    public string Root => root;

    /// <summary>Image file names directly in the folder, ordinal order.</summary>
    public IReadOnlyList<string> List() => Entries().Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The path of entry <paramref name="name"/>, or an <see cref="ApiException"/> (404) when the name is not an entry
    /// of the listing right now.
    /// </summary>
    public string Resolve(string? name)
    {
        if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest("name: missing, expected an entry of the --images folder");
        return Entries().TryGetValue(name, out var path) ? path
            : throw ApiException.NotFound($"name '{Printable(name)}': not an image of the --images folder");
    }

    Dictionary<string, string> Entries()
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 }))
        {
            if (entries.Count >= MaxEntries) break;
            string ext = file.Extension.ToLowerInvariant();
            if (ext == ".npy" || !InputPaths.Extensions.Contains(ext)) continue;
            string real = file.FullName;
            if (file.LinkTarget != null)
            {
                if (file.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo target || !target.Exists) continue;
                real = target.FullName;
            }
            if (!Inside(real)) continue;
            entries[file.Name] = real;
        }
        return entries;
    }

    bool Inside(string path) =>
        string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)), root, StringComparison.Ordinal);

    /// <summary>The name as an error may quote it: control characters shown as '?', cut at 200 characters.</summary>
    internal static string Printable(string text)
    {
        var chars = text.Take(200).Select(ch => char.IsControl(ch) ? '?' : ch).ToArray();
        return new string(chars) + (text.Length > 200 ? "…" : "");
    }
}
