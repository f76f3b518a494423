using Vitmix.Cli;
using Vitmix.Model;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Tests that change the process environment run alone: xunit starts this collection after the parallel ones, so no
/// other test sees the variable they set.
/// </summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>The extracted copy of the embedded model is verified on use, not trusted because it exists.</summary>
public sealed class HostileDefaultModelTests : IDisposable
{
    readonly TempDir tmp = new();

    public void Dispose() => tmp.Dispose();

    internal static byte[] Embedded(string file)
    {
        using Stream stream = typeof(DefaultModel).Assembly.GetManifestResourceStream($"Vitmix.Cli.DefaultModel.{file}")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Theory]
    [InlineData("model.safetensors", "truncated")]
    [InlineData("model.safetensors", "one byte flipped")]
    [InlineData("model.safetensors", "empty")]
    [InlineData("model.safetensors", "deleted")]
    [InlineData("config.json", "truncated")]
    public void DamagedCopyIsReExtractedAndLoads(string file, string damage)
    {
        string folder = DefaultModel.Folder(tmp.Path);
        string path = Path.Combine(folder, file);
        byte[] good = Embedded(file);
        Assert.Equal(good, File.ReadAllBytes(path));

        byte[] bad = damage switch
        {
            "truncated" => good[..(good.Length / 2)],
            "one byte flipped" => [.. good[..^1], (byte)(good[^1] ^ 0x5A)],
            _ => [],
        };
        if (damage == "deleted") File.Delete(path);
        else File.WriteAllBytes(path, bad);

        Assert.Equal(folder, DefaultModel.Folder(tmp.Path));
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal(Embedded("model.safetensors"), File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(Embedded("config.json"), File.ReadAllBytes(Path.Combine(folder, "config.json")));
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.NotNull(ModelLoader.Load(folder).ClassNames);
    }

    [Fact]
    public void ConcurrentRepairsLeaveOneCompleteCopy()
    {
        string folder = DefaultModel.Folder(tmp.Path);
        string weights = Path.Combine(folder, "model.safetensors");
        File.WriteAllBytes(weights, Embedded("model.safetensors")[..1000]);

        string[] folders = new string[8];
        Parallel.For(0, folders.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => folders[i] = DefaultModel.Folder(tmp.Path));

        Assert.All(folders, f => Assert.Equal(folder, f));
        Assert.Equal(Embedded("model.safetensors"), File.ReadAllBytes(weights));
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}

/// <summary>`vitmix info` with a truncated copy in the real cache location (VITMIX_CACHE pointed at a temp folder).</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class HostileDefaultModelCliTests
{
    [Fact]
    public void TruncatedCopyIsRepairedAndTheCommandWorks()
    {
        using var tmp = new TempDir();
        string? saved = Environment.GetEnvironmentVariable("VITMIX_CACHE");
        Environment.SetEnvironmentVariable("VITMIX_CACHE", tmp.Path);
        try
        {
            string folder = DefaultModel.Folder();
            Assert.StartsWith(tmp.Path, folder);
            string weights = Path.Combine(folder, "model.safetensors");
            byte[] good = File.ReadAllBytes(weights);
            File.WriteAllBytes(weights, good[..(good.Length / 3)]);

            var r = CliRunner.Run("info");

            Assert.True(r.ExitCode == 0, r.Err);
            Assert.Equal("", r.Err);
            Assert.Equal(good, File.ReadAllBytes(weights));
            Assert.Equal(HostileDefaultModelTests.Embedded("model.safetensors"), good);
        }
        finally { Environment.SetEnvironmentVariable("VITMIX_CACHE", saved); }
    }
}
