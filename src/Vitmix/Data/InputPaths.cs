namespace Vitmix.Data;

/// <summary>
/// The inputs a user names on the command line: files as given, and a folder as the images and .npy arrays directly
/// inside it (not its sub-folders), in ordinal name order so runs are repeatable.
/// </summary>
public static class InputPaths
{
    /// <summary>Extensions taken from a folder (case-insensitive): what <see cref="InputLoader"/> reads.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".ppm", ".pgm", ".npy"];

    /// <summary>Expands folders; files (and paths that do not exist, which fail later with their own error) pass through.</summary>
    public static string[] Expand(IEnumerable<string> inputs)
    {
        var result = new List<string>();
        foreach (string input in inputs)
        {
            if (!Directory.Exists(input))
            {
                result.Add(input);
                continue;
            }
            var files = Directory.EnumerateFiles(input)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new FileNotFoundException($"{input}: a folder with no inputs in it (expected {string.Join(", ", Extensions)} files)", input);
            result.AddRange(files);
        }
        return [.. result];
    }
}
