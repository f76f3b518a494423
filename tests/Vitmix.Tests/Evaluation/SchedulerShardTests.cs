using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

/// <summary>--shard auto reads the shard from the variables Kubernetes and Slurm set, and refuses what it cannot trust.</summary>
public class SchedulerShardTests
{
    static ShardAssignment Resolve(int? shards, params (string Name, string Value)[] variables)
    {
        var env = variables.ToDictionary(v => v.Name, v => v.Value);
        return SchedulerShard.Resolve(name => env.TryGetValue(name, out var v) ? v : null, shards);
    }

    [Fact]
    public void KubernetesIndexedJob_IndexFromTheEnvironment_CountFromShards()
    {
        Assert.Equal(new ShardAssignment(3, 10, "JOB_COMPLETION_INDEX"), Resolve(10, ("JOB_COMPLETION_INDEX", "3")));
        var noCount = Assert.Throws<ArgumentException>(() => Resolve(null, ("JOB_COMPLETION_INDEX", "3")));
        Assert.Contains("--shards", noCount.Message);
        var outside = Assert.Throws<ArgumentException>(() => Resolve(3, ("JOB_COMPLETION_INDEX", "3")));
        Assert.Contains("not below --shards 3", outside.Message);
    }

    [Theory]
    [InlineData("0", "10", null, null, 0, 10)]      // --array=0-9
    [InlineData("10", "10", "1", null, 9, 10)]      // --array=1-10
    [InlineData("18", "10", "0", "2", 9, 10)]       // --array=0-18:2
    [InlineData("7", "4", "4", null, 3, 4)]         // --array=4-7
    public void SlurmArray_ShardIsTheTasksPlaceInTheArray(string id, string count, string? min, string? step, int index, int shards)
    {
        var vars = new List<(string, string)> { ("SLURM_ARRAY_TASK_ID", id), ("SLURM_ARRAY_TASK_COUNT", count) };
        if (min != null) vars.Add(("SLURM_ARRAY_TASK_MIN", min));
        if (step != null) vars.Add(("SLURM_ARRAY_TASK_STEP", step));
        Assert.Equal(new ShardAssignment(index, shards, "SLURM_ARRAY_TASK_ID"), Resolve(null, [.. vars]));
        Assert.Equal(index, Resolve(shards, [.. vars]).Index);
        Assert.Throws<ArgumentException>(() => Resolve(shards + 1, [.. vars]));
    }

    [Theory]
    [InlineData("5", "3", "0", "not one of the 3 ids")]        // a list like --array=0,1,5 has no even mapping
    [InlineData("3", "4", "0", null)]                          // fine: the control case
    [InlineData("1", "4", "2", "not one of the 4 ids")]        // below the array's minimum
    [InlineData("-1", "4", "0", "not a whole number")]
    [InlineData("1", "0", "0", "at least one task")]
    [InlineData("../1", "4", "0", "not a whole number")]
    public void SlurmArray_ValuesThatDoNotMapToAShard_AreRefused(string id, string count, string min, string? message)
    {
        var vars = new[] { ("SLURM_ARRAY_TASK_ID", id), ("SLURM_ARRAY_TASK_COUNT", count), ("SLURM_ARRAY_TASK_MIN", min) };
        if (message == null) { Assert.Equal(3, Resolve(null, vars).Index); return; }
        var e = Assert.Throws<ArgumentException>(() => Resolve(null, vars));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void SlurmTaskWithoutItsCount_IsRefused() =>
        Assert.Contains("SLURM_ARRAY_TASK_COUNT is not", Assert.Throws<ArgumentException>(() => Resolve(null, ("SLURM_ARRAY_TASK_ID", "2"))).Message);

    [Fact]
    public void VitmixShard_WinsOverTheSchedulersVariables()
    {
        Assert.Equal(new ShardAssignment(1, 4, "VITMIX_SHARD"),
            Resolve(null, ("VITMIX_SHARD", "1/4"), ("JOB_COMPLETION_INDEX", "0"), ("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "3")));
        Assert.Contains("i/N", Assert.Throws<ArgumentException>(() => Resolve(null, ("VITMIX_SHARD", "4/4"))).Message);
        Assert.Contains("--shards says 3", Assert.Throws<ArgumentException>(() => Resolve(3, ("VITMIX_SHARD", "1/4"))).Message);
    }

    [Fact]
    public void NoSchedulerVariable_NamesWhatWouldHaveWorked()
    {
        var e = Assert.Throws<ArgumentException>(() => Resolve(4, ("SLURM_JOB_ID", "77"), ("JOB_COMPLETION_INDEX", " ")));
        foreach (var name in new[] { "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "VITMIX_SHARD" }) Assert.Contains(name, e.Message);
    }
}
