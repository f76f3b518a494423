using Vitmix.IO;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Data.Datasets;
using static Vitmix.Tests.Hostile.HostileFixtures;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// The command line against hostile arguments and busy folders: unknown options (which used to be taken for input
/// files), a file named like an option, contradicting options, and every command that writes a folder meeting a folder
/// another run holds.
/// </summary>
public class HostileCliTests
{
    const string Out = "{out}";

    [Theory]
    [InlineData("predict", "x.png", "--frobnicate")]
    [InlineData("explain", "x.png", "--frobnicate", "--out", Out)]
    [InlineData("evaluate", "--dataset", "synth:2", "--out", Out, "--frobnicate")]
    [InlineData("demo", "--frobnicate", "--out", Out)]
    [InlineData("merge", "shard-0-of-1", "--out", Out, "--frobnicate")]
    [InlineData("train", "--dataset", "synth:4", "--out", Out, "--frobnicate")]
    [InlineData("synth", "--out", Out, "--count", "2", "--frobnicate")]
    [InlineData("info", "--frobnicate")]
    [InlineData("fetch", "org/name", "--frobnicate")]
    [InlineData("--frobnicate")]
    public void AnUnknownOptionIsAnErrorNamingIt_NotAnInput(params string[] args)
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out");
        var r = CliRunner.Run([.. args.Select(a => a == Out ? o : a)]);
        string command = args[0].StartsWith('-') ? "vitmix" : $"vitmix {args[0]}";
        AssertOneErrorLine(r, "unknown option '--frobnicate'", $"see '{command} --help'");
        Assert.DoesNotContain("not found", r.Err); // not looked for as a file
        Assert.Equal("", r.Out);
        Assert.False(Directory.Exists(o));
    }

    [Fact]
    public void SeveralUnknownOptionsAreNamedTogether_AndAnOptionsNegativeValueIsNotOne()
    {
        var r = CliRunner.Run("predict", "x.png", "-q", "--frob=1");
        AssertOneErrorLine(r, "unknown options '-q', '--frob=1'");
        // "-3" is --top's value, so the error is about the value, not an unknown option.
        var line = AssertOneErrorLine(CliRunner.Run("predict", "x.png", "--top", "-3"), "--top: expected a positive integer, got '-3'");
        Assert.DoesNotContain("unknown option", line);
    }

    [Fact]
    public void DoubleDashPassesAFileWhoseNameStartsWithADash()
    {
        // Relative to the working directory, so that the argument itself starts with '-'.
        string name = $"-z-vitmix-{Guid.NewGuid():N}.npy";
        File.Copy(GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy"), name);
        try
        {
            AssertOneErrorLine(CliRunner.Run("predict", "--model", GoldenModelPath, name), $"unknown option '{name}'", "goes after '--'");
            var r = CliRunner.Run("predict", "--model", GoldenModelPath, "--", name);
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.Contains(name, r.Out);
            Assert.Equal("", r.Err);
        }
        finally { File.Delete(name); }
    }

    [Fact]
    public void ResumeAndOverwriteTogetherAreRefused()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out");
        AssertOneErrorLine(Evaluate("synth:2:1:32", o, "--resume", "--overwrite"), "--resume and --overwrite exclude each other");
        AssertOneErrorLine(CliRunner.Run("demo", "--out", o, "--resume", "--overwrite"), "--resume and --overwrite exclude each other");
        Assert.False(Directory.Exists(o));
    }

    /// <summary>Every command that writes a folder, run into <c>{out}</c>.</summary>
    public static TheoryData<string, string[]> FolderWriters => new()
    {
        { "evaluate", ["evaluate", "--model", "{model}", "--dataset", "synth:2:1:32", "--out", Out, "--deletion-steps", "0", "--methods", "rollout"] },
        { "demo", ["demo", "--count", "1", "--deletion-steps", "0", "--out", Out] },
        { "explain", ["explain", "{input}", "--model", "{model}", "--methods", "rollout", "--out", Out] },
        { "synth", ["synth", "--count", "2", "--out", Out] },
        { "train", ["train", "--dataset", "synth:8:1:32", "--model", "{model}", "--epochs", "1", "--batch-size", "4", "--out", Out] },
        { "merge", ["merge", "{shard}", "--out", Out] },
    };

    [Theory]
    [MemberData(nameof(FolderWriters))]
    public void EveryCommandThatWritesAFolderIsRefusedWhileAnotherRunHoldsIt(string command, string[] args)
    {
        using var tmp = new TempDir();
        string o = tmp.Dir("out"), shard = tmp.Combine("shard");
        if (command == "merge") Assert.Equal(0, Evaluate("synth:2:1:32", shard, "--deletion-steps", "0").ExitCode);
        string[] Resolve() => [.. args.Select(a => a switch
        {
            Out => o,
            "{model}" => GoldenModelPath,
            "{input}" => GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy"),
            "{shard}" => shard,
            _ => a,
        })];

        using (var holder = FolderLock.Acquire(o, "another run"))
        {
            var refused = CliRunner.Run(Resolve());
            AssertOneErrorLine(refused, $"{o} is in use by another run (process {Environment.ProcessId}, started", "wait for it to finish or use another --out");
            Assert.Equal([FolderLock.FileName, FolderLock.OwnerFileName], Directory.GetFileSystemEntries(o).Select(Path.GetFileName).Order());
        }
        // Released, the folder is free again: the refused run left no lock behind.
        var r = CliRunner.Run(Resolve());
        Assert.True(r.ExitCode == 0, $"{command}: {r.Err}");
        Assert.False(File.Exists(Path.Combine(o, FolderLock.OwnerFileName)));
    }
}
