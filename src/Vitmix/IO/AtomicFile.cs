namespace Vitmix.IO;

/// <summary>
/// Writes that never leave a half-written file behind: write a temp file beside the target, then rename.
/// A failed write (a full disk, a read-only folder) is an <see cref="IOException"/> naming the target file, not the
/// hidden temp file the operating system saw.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, replacing any file there only once all are written.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string tmp = TempName(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
                fs.Write(bytes);
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e) { throw CannotWrite(path, tmp, e); }
        finally { DeleteQuietly(tmp); }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) the same way.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Runs <paramref name="write"/> on a temp path, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        string tmp = TempName(path);
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e) { throw CannotWrite(path, tmp, e); }
        finally { DeleteQuietly(tmp); }
    }

    /// <summary>"cannot write PATH: reason", the reason without the temp file's name that .NET appends.</summary>
    static IOException CannotWrite(string path, string tmp, IOException e)
    {
        if (e.Message.StartsWith($"cannot write {path}:", StringComparison.Ordinal)) return e; // already ours (nested writes)
        string reason = e.Message.Replace($" : '{tmp}'", "", StringComparison.Ordinal).Replace(tmp, Path.GetFileName(path), StringComparison.Ordinal);
        return new IOException($"cannot write {path}: {reason.ReplaceLineEndings(" ")}", e);
    }

    /// <summary>Removes the temp file; on a full or failing disk that may fail too, and must not hide the first error.</summary>
    static void DeleteQuietly(string tmp)
    {
        try { if (File.Exists(tmp)) File.Delete(tmp); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// A fresh temp name beside <paramref name="path"/>, tagged with this process so that temp files a killed process
    /// left in that folder are recognised and removed (once per folder and process, see <see cref="StaleTemporaries"/>).
    /// </summary>
    static string TempName(string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        StaleTemporaries.RemoveDeadOnce(folder);
        return Path.Combine(folder, StaleTemporaries.NameFor(Path.GetFileName(full), Guid.NewGuid().ToString("N")));
    }
}
