using System.Globalization;

namespace Vitmix.Evaluation;

/// <summary>Which part of a dataset one process evaluates: images i with i mod <see cref="Count"/> == <see cref="Index"/>.</summary>
/// <param name="Index">This shard, 0 ≤ Index &lt; Count.</param>
/// <param name="Count">How many shards the evaluation is split into.</param>
/// <param name="Source">Where the numbers came from ("--shard", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "VITMIX_SHARD"), for messages.</param>
public sealed record ShardAssignment(int Index, int Count, string Source)
{
    /// <summary>The whole dataset in one process.</summary>
    public static ShardAssignment Single { get; } = new(0, 1, "unsharded");

    /// <summary>Parses "i/N" (0 ≤ i &lt; N); <paramref name="source"/> names the option or variable in the error.</summary>
    public static ShardAssignment Parse(string text, string source)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && TryInt(parts[0], out int i) && TryInt(parts[1], out int n) && n > 0 && i >= 0 && i < n) return new(i, n, source);
        throw new ArgumentException($"{source} '{text}' must be i/N with 0 ≤ i < N");
    }

    internal static bool TryInt(string s, out int value) =>
        int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
}

/// <summary>
/// The shard a batch scheduler gave this process (<c>--shard auto</c>), read from the variables the scheduler sets in
/// each task's environment:
/// <list type="bullet">
/// <item><c>VITMIX_SHARD=i/N</c>: set by hand or by any other scheduler; checked first, so it always wins.</item>
/// <item>Kubernetes Indexed Jobs set <c>JOB_COMPLETION_INDEX</c> (0 … completions − 1) and nothing that says how many
/// completions there are, so the count comes from <c>--shards N</c>, which the manifest sets to the Job's completions.</item>
/// <item>Slurm job arrays set <c>SLURM_ARRAY_TASK_ID</c>, <c>SLURM_ARRAY_TASK_COUNT</c>, <c>SLURM_ARRAY_TASK_MIN</c>
/// and, for <c>--array=A-B:S</c>, <c>SLURM_ARRAY_TASK_STEP</c>: the shard is (ID − MIN) / STEP, so
/// <c>--array=1-10</c> and <c>--array=0-18:2</c> are 10 shards like <c>--array=0-9</c>. An array of arbitrary ids
/// (<c>--array=1,4,9</c>) has no such mapping and is refused rather than guessed.</item>
/// </list>
/// Every value is checked (a whole number in range) before it becomes part of a folder name.
/// </summary>
public static class SchedulerShard
{
    /// <summary>The variables read, in the order they are tried.</summary>
    public static IReadOnlyList<string> Variables { get; } =
        ["VITMIX_SHARD", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP"];

    /// <summary>The shard of this process, from its environment.</summary>
    /// <param name="shards">The shard count given by the user (<c>--shards N</c>); needed for Kubernetes, checked against the others.</param>
    public static ShardAssignment FromEnvironment(int? shards = null) => Resolve(Environment.GetEnvironmentVariable, shards);

    /// <summary>
    /// The shard given by <paramref name="environment"/> (a variable's value, or null when unset). Throws an
    /// <see cref="ArgumentException"/> naming the variable when a value is malformed or out of range, when the
    /// variables and <paramref name="shards"/> disagree, and when no scheduler variable is set at all.
    /// </summary>
    public static ShardAssignment Resolve(Func<string, string?> environment, int? shards)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (shards is < 1) throw new ArgumentException($"--shards {shards} must be at least 1");
        string? Get(string name) => environment(name) is { } v && v.Trim().Length > 0 ? v.Trim() : null;

        if (Get("VITMIX_SHARD") is { } explicitShard)
            return Agree(ShardAssignment.Parse(explicitShard, "VITMIX_SHARD"), shards);

        if (Get("JOB_COMPLETION_INDEX") is { } completion)
        {
            int index = NonNegative("JOB_COMPLETION_INDEX", completion);
            if (shards is not int count)
                throw new ArgumentException(
                    $"JOB_COMPLETION_INDEX={index} says which shard this pod is but not how many there are: pass --shards N with N the Indexed Job's completions");
            if (index >= count)
                throw new ArgumentException($"JOB_COMPLETION_INDEX={index} is not below --shards {count}: set --shards to the Indexed Job's completions");
            return new ShardAssignment(index, count, "JOB_COMPLETION_INDEX");
        }

        if (Get("SLURM_ARRAY_TASK_ID") is { } task)
        {
            int id = NonNegative("SLURM_ARRAY_TASK_ID", task);
            string countText = Get("SLURM_ARRAY_TASK_COUNT")
                ?? throw new ArgumentException($"SLURM_ARRAY_TASK_ID={id} is set but SLURM_ARRAY_TASK_COUNT is not (Slurm sets both in an array task)");
            int count = NonNegative("SLURM_ARRAY_TASK_COUNT", countText);
            if (count < 1) throw new ArgumentException("SLURM_ARRAY_TASK_COUNT=0: an array has at least one task");
            int min = Get("SLURM_ARRAY_TASK_MIN") is { } m ? NonNegative("SLURM_ARRAY_TASK_MIN", m) : 0;
            int step = Get("SLURM_ARRAY_TASK_STEP") is { } s ? NonNegative("SLURM_ARRAY_TASK_STEP", s) : 1;
            if (step < 1) throw new ArgumentException("SLURM_ARRAY_TASK_STEP=0: an array's step is at least 1");
            long offset = (long)id - min;
            if (offset < 0 || offset % step != 0 || offset / step >= count)
                throw new ArgumentException(
                    $"SLURM_ARRAY_TASK_ID={id} is not one of the {count} ids {min}, {min + step}, … of an evenly spaced array " +
                    $"(SLURM_ARRAY_TASK_MIN={min}, step {step}); submit the array as --array=0-{count - 1} or set VITMIX_SHARD=i/N");
            return Agree(new ShardAssignment((int)(offset / step), count, "SLURM_ARRAY_TASK_ID"), shards);
        }

        throw new ArgumentException(
            "--shard auto: no scheduler shard in the environment: a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX (give --shards N), " +
            "a Slurm array sets SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; elsewhere set VITMIX_SHARD=i/N or use --shard i/N");
    }

    static ShardAssignment Agree(ShardAssignment shard, int? shards)
    {
        if (shards is int n && n != shard.Count)
            throw new ArgumentException($"{shard.Source} gives {shard.Count} shards but --shards says {n}");
        return shard;
    }

    static int NonNegative(string name, string value) =>
        ShardAssignment.TryInt(value, out int v) ? v : throw new ArgumentException($"{name}='{value}' is not a whole number ≥ 0");
}
