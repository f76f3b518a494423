using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Vitmix.IO;

/// <summary>
/// Temporary files and folders tagged with the process that makes them, <c>.{name}.{pid}.tmp</c> or
/// <c>.{name}.{pid}.{32 hex digits}.tmp</c>, assembled beside their target and renamed into place when complete. A
/// process killed in between (SIGKILL, power loss) cannot clean up, so later runs remove the temporaries whose process
/// is gone, and only those: a temporary of a running process is its work in progress.
/// </summary>
/// <remarks>
/// A process id says nothing across machines or PID namespaces: a folder shared over the network with writers on other
/// hosts, or between containers, is outside this model (another host's live temporary would look dead here).
/// A reused process id keeps a stale temporary a while longer, which is harmless.
/// </remarks>
public static class StaleTemporaries
{
    const string Suffix = ".tmp";
    static readonly ConcurrentDictionary<string, bool> Swept = new(StringComparer.Ordinal);

    /// <summary>
    /// The temporary name for <paramref name="name"/> owned by this process: <c>.{name}.{pid}.tmp</c>, or with
    /// <paramref name="unique"/> (32 hex digits, e.g. a <see cref="Guid"/> in "N" form) <c>.{name}.{pid}.{unique}.tmp</c>
    /// for several temporaries of one name at once.
    /// </summary>
    public static string NameFor(string name, string? unique = null)
    {
        if (unique != null && !IsUnique(unique))
            throw new ArgumentException($"temporary-name tag '{unique}' is not 32 hex digits", nameof(unique));
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        return unique == null ? $".{name}.{pid}{Suffix}" : $".{name}.{pid}.{unique}{Suffix}";
    }

    /// <summary>The process id in a name made by <see cref="NameFor"/>, or null when the name is not such a name.</summary>
    public static int? ProcessIdOf(string fileName)
    {
        if (!fileName.StartsWith('.') || !fileName.EndsWith(Suffix, StringComparison.Ordinal)) return null;
        string[] parts = fileName[1..^Suffix.Length].Split('.');
        // ".{name}.{pid}" or ".{name}.{pid}.{unique}": the name may hold dots itself, so count from the end.
        int pidAt = parts.Length >= 3 && IsUnique(parts[^1]) ? parts.Length - 2 : parts.Length - 1;
        if (pidAt < 1 || parts[..pidAt].All(p => p.Length == 0)) return null;
        string pid = parts[pidAt];
        return pid.Length is > 0 and <= 10 && pid.All(char.IsAsciiDigit)
            && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int id) && id > 0 ? id : null;
    }

    /// <summary>True while a process with id <paramref name="processId"/> exists (a zombie counts as alive).</summary>
    public static bool IsAlive(int processId)
    {
        if (processId == Environment.ProcessId) return true;
        // /proc is exact and cheap on Linux; elsewhere ask the process table.
        if (OperatingSystem.IsLinux() && Directory.Exists("/proc/self"))
            return Directory.Exists("/proc/" + processId.ToString(CultureInfo.InvariantCulture));
        try
        {
            using Process process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }       // no such process
        catch (InvalidOperationException) { return false; } // it exited meanwhile
        catch (System.ComponentModel.Win32Exception) { return true; } // exists, but we may not look at it
    }

    /// <summary>
    /// Removes the temporaries directly in <paramref name="folder"/> (files or folders named as by
    /// <see cref="NameFor"/>) whose process is no longer alive, and returns their names. One that cannot be removed (in
    /// use, no permission) is left for a later run. A missing folder has none.
    /// </summary>
    public static IReadOnlyList<string> RemoveDead(string folder)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder)) return removed;
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFileSystemEntries(folder, ".*" + Suffix).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return removed; }
        foreach (string path in candidates)
        {
            string name = Path.GetFileName(path);
            if (ProcessIdOf(name) is not int pid || IsAlive(pid)) continue;
            try
            {
                // A link is removed as the link: a planted temporary name must not make us delete what it points to.
                var info = new FileInfo(path);
                if (info.LinkTarget == null && Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else info.Delete();
                removed.Add(name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>
    /// <see cref="RemoveDead"/> the first time this process asks about <paramref name="folder"/>, nothing afterwards:
    /// for writers that make many temporaries in one folder (a file per image), where scanning the folder each time
    /// would cost time growing with the folder. A process that dies while this one runs is cleaned up by the next run.
    /// </summary>
    public static void RemoveDeadOnce(string folder)
    {
        string key = Path.GetFullPath(folder);
        if (Swept.TryAdd(key, true)) RemoveDead(key);
    }

    static bool IsUnique(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigit);
}
