using Vitmix.Data;
using Vitmix.Tests.Cli;
using static Vitmix.Tests.Hostile.HostileFiles;
using TempDir = Vitmix.Tests.Model.Checkpoints.TempDir;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Inputs and models that make values non-finite in `vitmix explain`: the input fails with one line naming it and the
/// cause, nothing of it is written, and every other input is still explained (the JSON writer used to throw on NaN and
/// lose the whole run).
/// </summary>
public sealed class HostileExplainTests : IDisposable
{
    readonly TempDir tmp = new();

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void NanInputFailsAloneWhileTheOtherInputIsExplained()
    {
        var values = Npy.Read(InputNpy).ToFloat();
        values[100] = float.NaN;
        string bad = tmp.File("bad.npy");
        Npy.WriteFloat32(bad, values, 1, 3, 32, 32);
        string outDir = tmp.File("out");
        var r = CliRunner.Run("explain", bad, InputNpy, "--model", GoldenWeights, "--out", outDir, "--combos", "2");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: ", line);
        Assert.Contains(bad + ": the input's values are not finite (NaN at element 100)", line);
        Assert.DoesNotContain("Exception", line);
        Assert.False(Directory.Exists(Path.Combine(outDir, "bad")));
        Assert.True(File.Exists(Path.Combine(outDir, "input", "summary.json")), "the good input was not written");
        Assert.Empty(Directory.GetDirectories(outDir, ".*"));
    }

    [Fact]
    public void LogitsThatOverflowFailTheInputNamingTheLogits()
    {
        // finite weights large enough that the head's products overflow float: every logit is infinite or NaN
        string model = FolderWithWeights(tmp, s =>
        {
            var head = s["head.weight"].Data;
            for (int i = 0; i < head.Length; i++) head[i] *= 1e38f;
        });
        string outDir = tmp.File("out");
        var r = CliRunner.Run("explain", InputNpy, "--model", model, "--out", outDir, "--methods", "rollout,lrp");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: " + InputNpy + ": the model's logits are not finite", line);
        Assert.False(Directory.Exists(Path.Combine(outDir, "input")));
    }
}
