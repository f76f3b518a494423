using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Vitmix.IO;

/// <summary>Who holds (or held) a <see cref="FolderLock"/>.</summary>
/// <param name="ProcessId">The holder's process id.</param>
/// <param name="ProcessStarted">When that process started (UTC): with the id, it tells a live holder from a reused id.</param>
/// <param name="Acquired">When the lock was taken (UTC).</param>
/// <param name="Purpose">What the holder does, e.g. "vitmix evaluate".</param>
public sealed record FolderLockOwner(int ProcessId, DateTimeOffset ProcessStarted, DateTimeOffset Acquired, string Purpose)
{
    /// <summary>"vitmix evaluate (process 1234, started 2026-03-01 12:00:00Z)".</summary>
    public override string ToString() =>
        $"{Purpose} (process {ProcessId}, started {ProcessStarted.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)})";

    /// <summary>True when a process with this id and start time is running.</summary>
    public bool IsRunning()
    {
        try
        {
            using var p = Process.GetProcessById(ProcessId);
            // Start times are derived from the boot time and clock ticks, so allow a little jitter between readings.
            return Math.Abs((p.StartTime.ToUniversalTime() - ProcessStarted.UtcDateTime).TotalSeconds) < 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false; // no such process (or it exited while being looked at)
        }
    }
}

/// <summary>Another process (or another run in this process) holds the folder's lock.</summary>
public sealed class FolderLockedException(string folder, FolderLockOwner? owner, Exception? inner = null)
    : IOException($"{folder} is in use by {owner?.ToString() ?? "another process (it has not said which yet)"}", inner)
{
    /// <summary>The locked folder.</summary>
    public string Folder { get; } = folder;
    /// <summary>The holder, when it has recorded itself.</summary>
    public FolderLockOwner? Owner { get; } = owner;
}

/// <summary>
/// An exclusive lock on an output folder, so that two runs never write one folder at once (two evaluations appending
/// to one results.csv would double every row). The lock is <c>FOLDER/.vitmix.lock</c> opened with FileShare.None,
/// which .NET takes as an advisory flock on Unix and a share lock on Windows; the operating system releases it when
/// the process ends, however it ends. The holder records itself in <c>FOLDER/.vitmix.lock.json</c> (process id, its
/// start time, when and why), beside the lock file rather than in it because a locked file cannot be read, not even
/// by a process that only wants to say who holds it.
/// <para>
/// A record left by a process that died without releasing the lock (killed, power cut) is stale: the lock file itself
/// is free again, so the next run takes the lock and reports whose record it replaced (<see cref="TakenOverFrom"/>).
/// The lock file stays in the folder when released (deleting it would let a process that opened it just before keep
/// a lock on a deleted file while a third creates a new one); a folder the lock created and nothing else used is
/// removed again.
/// </para>
/// </summary>
public sealed class FolderLock : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string FileName = ".vitmix.lock";
    /// <summary>The holder's record's name.</summary>
    public const string OwnerFileName = ".vitmix.lock.json";

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    FileStream? _stream;
    readonly bool _createdFolder;

    /// <summary>The locked folder.</summary>
    public string Folder { get; }

    /// <summary>This process's record in the folder.</summary>
    public FolderLockOwner Owner { get; }

    /// <summary>The record of a holder that died without releasing the lock, replaced by this one; null when there was none.</summary>
    public FolderLockOwner? TakenOverFrom { get; }

    FolderLock(string folder, FileStream stream, bool createdFolder, FolderLockOwner owner, FolderLockOwner? takenOverFrom)
    {
        Folder = folder;
        _stream = stream;
        _createdFolder = createdFolder;
        Owner = owner;
        TakenOverFrom = takenOverFrom;
    }

    /// <summary>
    /// Locks <paramref name="folder"/> (created when missing) or throws <see cref="FolderLockedException"/> naming the
    /// holder. Never waits: a run that finds its folder busy should say so, not queue behind the other.
    /// </summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="purpose">What this process does there, recorded for whoever finds the folder locked.</param>
    public static FolderLock Acquire(string folder, string purpose)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (File.Exists(folder)) throw new IOException($"{folder} is a file, expected a folder");
        for (int attempt = 0; ; attempt++)
        {
            bool created = !Directory.Exists(folder);
            Directory.CreateDirectory(folder);
            string lockPath = Path.Combine(folder, FileName), ownerPath = Path.Combine(folder, OwnerFileName);
            FileStream stream;
            try
            {
                stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsSharingViolation(e))
            {
                throw new FolderLockedException(folder, ReadOwnerOfHeldLock(ownerPath), e);
            }
            // A holder releasing a folder it created deletes the lock file before unlocking it: a lock taken on a
            // file that is no longer there locks nothing, so start again (once or twice at most).
            if (!File.Exists(lockPath) && attempt < 3)
            {
                stream.Dispose();
                continue;
            }
            try
            {
                var previous = ReadOwner(ownerPath);
                // Without working flock (some network file systems) the open above always succeeds: a record of another
                // live process then still means the folder is in use. Our own process id is told apart by the lock.
                if (previous is not null && previous.ProcessId != Environment.ProcessId && previous.IsRunning())
                    throw new FolderLockedException(folder, previous);
                using var self = Process.GetCurrentProcess();
                var owner = new FolderLockOwner(Environment.ProcessId, self.StartTime.ToUniversalTime(), DateTimeOffset.UtcNow, purpose);
                AtomicFile.WriteAllText(ownerPath, JsonSerializer.Serialize(owner, JsonOptions));
                return new FolderLock(folder, stream, created, owner, previous);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
    }

    /// <summary>Releases the lock: the record is removed, then the lock file unlocked (and removed with a folder it created, if that is otherwise empty).</summary>
    public void Dispose()
    {
        var stream = Interlocked.Exchange(ref _stream, null);
        if (stream is null) return;
        try
        {
            File.Delete(Path.Combine(Folder, OwnerFileName));
            if (_createdFolder && Directory.EnumerateFileSystemEntries(Folder).All(e => Path.GetFileName(e) == FileName))
            {
                // Deleted while still locked, so a run that opened it meanwhile sees it gone and starts again.
                File.Delete(Path.Combine(Folder, FileName));
                stream.Dispose();
                try { Directory.Delete(Folder); } catch (IOException) { } // someone started writing there: leave it
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // releasing must not hide the run's own error
        finally { stream.Dispose(); }
    }

    // .NET reports a held flock / share lock as an IOException whose HResult is the errno (EWOULDBLOCK: 11 on Linux,
    // 35 on macOS) or ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows.
    static bool IsSharingViolation(IOException e) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        && e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    /// <summary>The holder's record; it writes it just after taking the lock, so give it a moment to appear.</summary>
    static FolderLockOwner? ReadOwnerOfHeldLock(string ownerPath)
    {
        for (int i = 0; i < 50; i++)
        {
            if (ReadOwner(ownerPath) is { } owner) return owner;
            Thread.Sleep(10);
        }
        return null;
    }

    static FolderLockOwner? ReadOwner(string ownerPath)
    {
        try { return File.Exists(ownerPath) ? JsonSerializer.Deserialize<FolderLockOwner>(File.ReadAllText(ownerPath)) : null; }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; } // unreadable: treat as absent
    }
}
