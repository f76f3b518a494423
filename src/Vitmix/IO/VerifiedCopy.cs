using System.Security.Cryptography;

namespace Vitmix.IO;

/// <summary>
/// A file that must hold exactly known bytes, such as a resource extracted to a cache folder. It is checked on every
/// use (size, then SHA-256) rather than trusted because it exists: a copy truncated by a full disk or a killed
/// extraction, or edited by hand, would otherwise break every later run until someone deleted it.
/// </summary>
public static class VerifiedCopy
{
    /// <summary>
    /// Makes <paramref name="path"/> hold <paramref name="content"/>: left alone when its size and SHA-256 already
    /// match, else (re)written atomically, as a temp file in the same folder renamed over it, so a reader in another
    /// process sees the old file or the new one, never a mix, and concurrent repairs cannot corrupt each other.
    /// Creates the folder. Returns true when it wrote the file.
    /// </summary>
    public static bool Ensure(string path, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        byte[] sha256 = SHA256.HashData(content);
        if (Matches(path, content.Length, sha256)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            AtomicFile.WriteAllBytes(path, content);
        }
        // Where a rename over an open file fails (Windows), another process may just have put the same bytes there.
        catch (IOException) when (Matches(path, content.Length, sha256)) { }
        return true;
    }

    /// <summary>True when <paramref name="path"/> is a file of <paramref name="length"/> bytes with SHA-256 <paramref name="sha256"/>.</summary>
    public static bool Matches(string path, long length, ReadOnlySpan<byte> sha256)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != length) return false;
        try
        {
            using FileStream stream = File.OpenRead(path);
            return SHA256.HashData(stream).AsSpan().SequenceEqual(sha256);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
