using TempDir = Vitmix.Tests.Data.Datasets.TempDir;
using Vitmix.Tests.Model.Checkpoints;

namespace Vitmix.Tests.Cli;

/// <summary>Broken checkpoints through `vitmix predict`: exit code 1 and one line naming the file, no stack trace.</summary>
public class HostileCheckpointCliTests
{
    public static TheoryData<string, string, byte[], ulong?, string> Hostile => SafeTensorsFileTests.Hostile;

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileCheckpointsFailWithOneLineNamingTheFile(string what, string header, byte[] data, ulong? declared, string expected)
    {
        using var tmp = new TempDir();
        string path = CheckpointTestFiles.Raw(tmp.Combine("model.safetensors"), header, data, declared);
        string input = GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");
        var r = CliRunner.Run("predict", input, "--model", path);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: ", line);
        Assert.Contains(path, line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("Exception", line); // no stack trace: the single line is the whole report
        _ = what;
    }

    [Fact]
    public void MissingKeysWrongShapesAndUnknownHeadsAreOneLineEach()
    {
        using var tmp = new TempDir();
        string input = GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");
        var state = CheckpointTestFiles.ReadF32(GoldenData.Path(GoldenData.Sets[0], "weights.safetensors"));
        var meta = new Dictionary<string, string> { ["config"] = """{"img_size":32,"patch_size":8,"embed_dim":48,"depth":3,"num_heads":3,"num_classes":10}""" };

        var missing = new Dictionary<string, (int[], float[])>(state);
        missing.Remove("blocks.1.attn.proj.weight");
        missing.Remove("head.bias");
        string m = tmp.Combine("missing.safetensors");
        CheckpointTestFiles.WriteState(m, missing, meta);
        var r = CliRunner.Run("predict", input, "--model", m);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("blocks.1.attn.proj.weight", Assert.Single(r.ErrLines));
        Assert.Contains("head.bias", r.ErrLines[0]);

        var wrong = new Dictionary<string, (int[], float[])>(state) { ["head.bias"] = ([11], new float[11]) };
        string w = tmp.Combine("wrong.safetensors");
        CheckpointTestFiles.WriteState(w, wrong, meta);
        r = CliRunner.Run("predict", input, "--model", w);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("head", Assert.Single(r.ErrLines));

        string noHeads = tmp.Combine("noheads.safetensors");
        CheckpointTestFiles.WriteState(noHeads, state);
        r = CliRunner.Run("predict", input, "--model", noHeads);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("heads", Assert.Single(r.ErrLines));
        Assert.Contains("--heads", r.ErrLines[0]);
        Assert.Equal(0, CliRunner.Run("predict", input, "--model", noHeads, "--heads", "3").ExitCode);
    }
}
