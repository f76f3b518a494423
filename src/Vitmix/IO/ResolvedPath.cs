namespace Vitmix.IO;

/// <summary>
/// Where a path really leads once every symbolic link on the way is followed, like POSIX <c>realpath</c> but also for
/// paths that do not exist yet (their missing tail is kept as written). <see cref="Path.GetFullPath(string)"/> alone
/// only folds <c>..</c> textually, so a link inside a folder can still lead out of it; containment checks need this.
/// </summary>
public static class ResolvedPath
{
    // Linux gives up after 40 links (ELOOP); a longer chain is a loop or an attack.
    const int MaxLinks = 40;

    /// <summary>
    /// The absolute path <paramref name="path"/> leads to with every link followed, the final one included.
    /// Throws <see cref="IOException"/> naming the path when the links loop.
    /// </summary>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        var pending = new List<string>(Segments(full));
        int links = 0;
        // Walk one segment at a time: a link's target is spliced in front of what is left, and ".." then applies to
        // the folder the link led to, as the kernel does.
        for (int i = 0; i < pending.Count; i++)
        {
            string segment = pending[i];
            if (segment == ".") continue;
            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            string next = Path.Combine(current, segment);
            string? target = new FileInfo(next).LinkTarget;
            if (target == null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
                throw new IOException($"{path}: more than {MaxLinks} symbolic links on the way (a link loop?)");
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(Path.GetFullPath(target))!;
            pending.InsertRange(i + 1, Segments(target));
        }
        return current;
    }

    /// <summary>
    /// True when <paramref name="path"/>, resolved with <see cref="Resolve"/>, lies strictly inside the resolved
    /// <paramref name="root"/> (the root itself does not count).
    /// </summary>
    public static bool IsInside(string root, string path) => IsUnder(Resolve(root), Resolve(path));

    /// <summary>True when the already resolved <paramref name="resolvedPath"/> lies strictly inside <paramref name="resolvedRoot"/>.</summary>
    public static bool IsUnder(string resolvedRoot, string resolvedPath)
    {
        string prefix = Path.EndsInDirectorySeparator(resolvedRoot) ? resolvedRoot : resolvedRoot + Path.DirectorySeparatorChar;
        StringComparison comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return resolvedPath.Length > prefix.Length && resolvedPath.StartsWith(prefix, comparison);
    }

    static string[] Segments(string path) =>
        path[Path.GetPathRoot(path)!.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
