namespace Vitmix.IO;

/// <summary>
/// Paths as users type them. A shell expands "~" only at the start of a word, so in "voc:~/data" or an environment
/// variable the "~" reaches us unexpanded; Vitmix expands a leading "~" or "~/" itself.
/// </summary>
public static class UserPath
{
    /// <summary><paramref name="path"/> with a leading "~" or "~/" replaced by the user's home folder.</summary>
    public static string ExpandHome(string path) =>
        ExpandHome(path, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary><paramref name="path"/> with a leading "~" or "~/" replaced by <paramref name="home"/>.</summary>
    public static string ExpandHome(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;
}
