using System.Text.Json.Nodes;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>vitmix merge combines only shards of one evaluation: same model (by hash), same code, same curve sampling.</summary>
public class MergeSettingsTests
{
    static string Model => GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");

    static string Shards(TempDir tmp, params string[] extra)
    {
        string outDir = tmp.Combine("out");
        for (int i = 0; i < 2; i++)
        {
            var r = CliRunner.Run(["evaluate", "--model", Model, "--dataset", "synth:4:3:32", "--methods", "rollout,saliency", "--combos", "1",
                "--deletion-steps", "4", "--report-images", "0", "--out", outDir, "--shard", $"{i}/2", .. extra]);
            Assert.True(r.ExitCode == 0, r.Err);
        }
        return outDir;
    }

    static void Edit(string runJson, string key, JsonNode? value)
    {
        var run = JsonNode.Parse(File.ReadAllText(runJson))!.AsObject();
        Assert.True(run.ContainsKey(key), $"run.json has no {key}");
        run[key] = value;
        File.WriteAllText(runJson, run.ToJsonString());
    }

    [Theory]
    [InlineData("CodeVersion", "code version")]
    [InlineData("ModelHash", "model hash")]
    [InlineData("CurveFractions", "curve fractions")]
    public void AShardOfOtherSettings_IsRefusedNamingTheSetting(string key, string named)
    {
        using var tmp = new TempDir();
        string outDir = Shards(tmp);
        string runJson = Path.Combine(outDir, "shard-1-of-2", "run.json");
        Edit(runJson, key, key == "CurveFractions" ? new JsonArray(0.0, 0.5, 1.0) : JsonValue.Create("0.0.9+0000000"));
        var r = CliRunner.Run("merge", outDir, "--out", tmp.Combine("merged"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(named, r.Err);
        Assert.False(File.Exists(tmp.Combine("merged", "results.csv")));
    }

    [Fact]
    public void TheSameCheckpointAtAnotherPath_IsTheSameModel()
    {
        using var tmp = new TempDir();
        string outDir = Shards(tmp);
        // Another node mounts the volume elsewhere: the path differs, the hash does not.
        Edit(Path.Combine(outDir, "shard-1-of-2", "run.json"), "Model", JsonValue.Create("/mnt/elsewhere/weights.safetensors"));
        var r = CliRunner.Run("merge", outDir, "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(4 * 2 + 1, File.ReadAllLines(Path.Combine(outDir, "results.csv")).Length);
    }

    [Fact]
    public void AnOutputFolderWithShardsOfTwoSplits_MustBeNamedShardByShard()
    {
        using var tmp = new TempDir();
        string outDir = Shards(tmp);
        Directory.CreateDirectory(Path.Combine(outDir, "shard-0-of-3"));
        File.Copy(Path.Combine(outDir, "shard-0-of-2", "run.json"), Path.Combine(outDir, "shard-0-of-3", "run.json"));
        var r = CliRunner.Run("merge", outDir, "--out", tmp.Combine("merged"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("more than one split", r.Err);
        var named = CliRunner.Run("merge", Path.Combine(outDir, "shard-0-of-2"), Path.Combine(outDir, "shard-1-of-2"), "--out", tmp.Combine("merged"));
        Assert.True(named.ExitCode == 0, named.Err);
    }

    [Fact]
    public void AFolderWithoutRunsOrShards_IsNotAnEvaluation()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.Combine("empty"));
        var r = CliRunner.Run("merge", tmp.Combine("empty"), "--out", tmp.Combine("merged"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no shard-i-of-N folders", r.Err);
    }
}
