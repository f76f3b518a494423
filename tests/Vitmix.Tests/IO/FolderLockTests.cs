using System.Text.Json;
using Vitmix.IO;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.IO;

/// <summary>The output-folder lock: exclusive within and across processes, named holders, stale records, clean release.</summary>
public class FolderLockTests
{
    [Fact]
    public void ASecondHolderIsRefusedNamingTheFirst_UntilItReleases()
    {
        using var tmp = new TempDir();
        string folder = tmp.Dir("run");
        var first = FolderLock.Acquire(folder, "vitmix evaluate");
        Assert.Equal(Environment.ProcessId, first.Owner.ProcessId);
        Assert.Null(first.TakenOverFrom);
        var e = Assert.Throws<FolderLockedException>(() => FolderLock.Acquire(folder, "vitmix demo"));
        Assert.Equal(folder, e.Folder);
        Assert.Equal(first.Owner, e.Owner);
        Assert.StartsWith($"{folder} is in use by vitmix evaluate (process {Environment.ProcessId}, started ", e.Message);
        first.Dispose();
        first.Dispose(); // twice is harmless

        using var second = FolderLock.Acquire(folder, "vitmix demo");
        Assert.Null(second.TakenOverFrom); // a released lock leaves no record to take over
        Assert.Equal("vitmix demo", JsonSerializer.Deserialize<FolderLockOwner>(File.ReadAllText(Path.Combine(folder, FolderLock.OwnerFileName)))!.Purpose);
    }

    [Fact]
    public void ARecordOfADeadProcessIsStale_ARecordOfThisLiveProcessWithoutTheLockIsToo()
    {
        using var tmp = new TempDir();
        string folder = tmp.Dir("run");
        // A process id no process has now (ids are below 2^22 on Linux), and a start time far in the past.
        var dead = new FolderLockOwner(int.MaxValue - 7, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "vitmix evaluate");
        Assert.False(dead.IsRunning());
        File.WriteAllText(Path.Combine(folder, FolderLock.OwnerFileName), JsonSerializer.Serialize(dead));
        using (var taken = FolderLock.Acquire(folder, "vitmix evaluate"))
            Assert.Equal(dead, taken.TakenOverFrom);
        Assert.False(File.Exists(Path.Combine(folder, FolderLock.OwnerFileName)));

        // This process's own id with a wrong start time is a reused id, not this process.
        var reused = new FolderLockOwner(Environment.ProcessId, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "vitmix train");
        Assert.False(reused.IsRunning());
    }

    [Fact]
    public void AFolderTheLockCreatedIsRemovedWhenNothingElseWasWritten_OtherwiseKept()
    {
        using var tmp = new TempDir();
        string unused = tmp.Combine("unused"), used = tmp.Combine("used");
        FolderLock.Acquire(unused, "x").Dispose();
        Assert.False(Directory.Exists(unused));

        using (FolderLock.Acquire(used, "x")) File.WriteAllText(Path.Combine(used, "results.csv"), "a\n");
        Assert.Equal([FolderLock.FileName, "results.csv"], Directory.GetFileSystemEntries(used).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AFileInsteadOfAFolderIsNamed()
    {
        using var tmp = new TempDir();
        string file = tmp.Combine("taken");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<IOException>(() => FolderLock.Acquire(file, "x"));
        Assert.Contains($"{file} is a file", e.Message);
    }
}
