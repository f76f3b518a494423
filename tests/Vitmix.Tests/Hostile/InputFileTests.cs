using Vitmix.IO;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;
using static Vitmix.Tests.Hostile.HostileImages;

namespace Vitmix.Tests.Hostile;

/// <summary>The one bounded reading path (<see cref="InputFile"/>) and the readers beside images that now use it.</summary>
public class InputFileTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    [Fact]
    public void ARegularFileOverTheLimitIsRefusedFromItsSizeWithoutBeingRead()
    {
        string path = tmp.Combine("big.bin");
        using (var f = File.Create(path)) f.SetLength(1 << 20); // sparse: nothing to read even if it were
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => InputFile.ReadAll(path, "a test file", maxBytes: 1000));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);
        Assert.Equal($"{path}: the file is 1048576 bytes, more than the limit of 1000 for a test file", e.Message);
        Assert.Equal(1 << 20, InputFile.ReadAll(path, "a test file", maxBytes: 1 << 20).Length);
    }

    [SkippableFact]
    public void ADeviceThatNeverEndsIsCutAtTheLimit()
    {
        Skip.IfNot(File.Exists("/dev/zero"));
        var e = Assert.Throws<InvalidDataException>(() => InputFile.ReadAll("/dev/zero", "a test file", maxBytes: 100_000));
        Assert.Contains("/dev/zero: more than 100000 bytes, the limit for a test file", e.Message);
    }

    [Fact]
    public void TheStartCheckSeesTheFirstBytesAndCanRefuseEarly()
    {
        string path = tmp.Combine("x.bin");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 200).Select(i => (byte)i)]);
        byte[]? seen = null;
        var e = Assert.Throws<InvalidDataException>(() => InputFile.ReadAll(path, "a test file", 1000, start => { seen = start.ToArray(); return "no"; }));
        Assert.Equal($"{path}: no", e.Message);
        Assert.Equal(Enumerable.Range(0, InputFile.StartLength).Select(i => (byte)i), seen!);
        string small = tmp.Combine("small.bin");
        File.WriteAllBytes(small, [1, 2, 3]);
        Assert.Equal([1, 2, 3], InputFile.ReadAll(small, "a test file", 1000, start => start.Length == 3 ? null : "wrong start"));
    }

    [SkippableFact]
    public void AFifoAsACheckpointIsOneLineNotAHang()
    {
        string fifo = tmp.Combine("model.safetensors");
        Skip.IfNot(MakeFifo(fifo), "mkfifo is not available");
        var run = Task.Run(() => CliRunner.Run("info", "--model", fifo));
        Assert.True(run.Wait(TimeSpan.FromMinutes(5)), "vitmix info is still waiting on the FIFO");
        AssertOneLineError(run.Result, fifo, "not a regular file");
    }

    [SkippableFact]
    public void DevZeroAsConfigJsonIsCutAtTheTextLimit()
    {
        Skip.IfNot(File.Exists("/dev/zero") && OperatingSystem.IsLinux());
        string dir = tmp.Dir("model");
        File.Copy(ModelPath, Path.Combine(dir, "model.safetensors"));
        File.CreateSymbolicLink(Path.Combine(dir, "config.json"), "/dev/zero");
        AssertOneLineError(CliRunner.Run("info", "--model", dir), Path.Combine(dir, "config.json"), "more than 67108864 bytes");
    }

    [Fact]
    public void TextFilesReadThroughThePathKeepFileReadAllLinesSemantics()
    {
        string path = tmp.Combine("labels.csv");
        File.WriteAllText(path, "\uFEFFname,class\r\ncat,1\rdog,2\n\nlast,3\n");
        Assert.Equal(File.ReadAllLines(path), InputFile.ReadAllLines(path, "a labels file", 1000));
        File.WriteAllText(path, "");
        Assert.Empty(InputFile.ReadAllLines(path, "a labels file", 1000));
    }
}
