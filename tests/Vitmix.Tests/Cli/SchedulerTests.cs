using System.Diagnostics;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>
/// Plays the scheduler: N `vitmix evaluate --shard auto` processes started at once with the environment a Kubernetes
/// Indexed Job or a Slurm array gives each task, one of them killed (SIGKILL, as a node loss or an eviction) after its
/// first finished image and started again with the same command, as the scheduler retries a task; then `vitmix merge`
/// of the output folder. The merged results.csv and summary.csv must be byte for byte those of one process.
/// </summary>
public class SchedulerTests
{
    const int Shards = 3;
    // The paper's 24 maps (4 methods, their pairs and triples by gmean and product) with 100-step curves on 6 synthetic
    // images: about a second per image on the embedded model, so a shard of 2 images can be killed between them.
    const int Images = 6, MapCount = 24;
    static readonly string[] Evaluation =
        ["evaluate", "--dataset", $"synth:{Images}:29", "--methods", "rollout,gradcam,saliency,lrp", "--combos", "2,3", "--report-images", "2"];

    static readonly string[] SchedulerVariables =
        ["VITMIX_SHARD", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_JOB_ID"];

    /// <summary>Task <paramref name="task"/>'s command line and environment, as the scheduler would start it.</summary>
    static (string[] Args, Dictionary<string, string> Env) Task(string scheduler, int task, string outDir) => scheduler switch
    {
        // An Indexed Job's pods get JOB_COMPLETION_INDEX; the manifest passes --shards = completions.
        "kubernetes" => ([.. Evaluation, "--out", outDir, "--shard", "auto", "--shards", $"{Shards}"],
            new() { ["JOB_COMPLETION_INDEX"] = $"{task}" }),
        // sbatch --array=1-3: ids 1..3, so the shard is the id minus SLURM_ARRAY_TASK_MIN.
        "slurm" => ([.. Evaluation, "--out", outDir, "--shard", "auto"],
            new() { ["SLURM_ARRAY_JOB_ID"] = "4242", ["SLURM_ARRAY_TASK_ID"] = $"{task + 1}", ["SLURM_ARRAY_TASK_COUNT"] = $"{Shards}", ["SLURM_ARRAY_TASK_MIN"] = "1" }),
        _ => throw new ArgumentException(scheduler),
    };

    static string CliDll => Path.Combine(AppContext.BaseDirectory, "vitmix.dll");

    static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    static Process Start(string[] args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(DotnetHost) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var v in SchedulerVariables) psi.Environment.Remove(v);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    static (int Code, string Out, string Err) Finish(Process p)
    {
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("a shard process was still running after 4 minutes");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result, error.Result);
    }

    static int DoneLines(string runDir)
    {
        try { return File.ReadAllText(Path.Combine(runDir, "done.txt")).Count(c => c == '\n'); }
        catch (IOException) { return 0; }
    }

    [Theory]
    [InlineData("kubernetes")]
    [InlineData("slurm")]
    public void ShardsStartedTogether_OneKilledAndRetried_MergeToTheSingleProcessRun(string scheduler)
    {
        Assert.True(File.Exists(CliDll), $"{CliDll} not found beside the test assembly");
        using var tmp = new TempDir();
        string single = tmp.Combine("single"), cluster = tmp.Combine("cluster");

        var one = CliRunner.Run([.. Evaluation, "--out", single]);
        Assert.True(one.ExitCode == 0, one.Err);

        var tasks = Enumerable.Range(0, Shards).Select(i => Task(scheduler, i, cluster)).ToList();
        var running = tasks.Select(t => Start(t.Args, t.Env)).ToList();
        // Task 1 dies (SIGKILL, its whole tree) once it has finished its first image and before its last.
        const int victim = 1;
        string victimDir = Path.Combine(cluster, $"shard-{victim}-of-{Shards}");
        var clock = Stopwatch.StartNew();
        while (DoneLines(victimDir) < 1)
        {
            if (running[victim].HasExited) Assert.Fail($"task {victim} ended before its first image: {Finish(running[victim]).Err}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "task 1 finished no image in 3 minutes");
            Thread.Sleep(1);
        }
        running[victim].Kill(entireProcessTree: true);
        running[victim].WaitForExit();
        int doneAtKill = DoneLines(victimDir);
        Assert.True(doneAtKill < Images / Shards, $"task {victim} had finished all its images before it was killed: not a restart midway");

        // The scheduler starts the task again with the same command and environment: it resumes, it does not refuse.
        var retried = Finish(Start(tasks[victim].Args, tasks[victim].Env));
        Assert.True(retried.Code == 0, retried.Err);
        Assert.Contains($"({doneAtKill} of {Images / Shards} images already finished)", retried.Out);
        foreach (var (p, i) in running.Select((p, i) => (p, i)).Where(x => x.i != victim))
        {
            var r = Finish(p);
            Assert.True(r.Code == 0, $"task {i}: {r.Err}");
        }

        var merged = CliRunner.Run("merge", cluster, "--out", cluster);
        Assert.True(merged.ExitCode == 0, merged.Err);
        foreach (var file in new[] { "results.csv", "summary.csv" })
            Assert.Equal(File.ReadAllText(Path.Combine(single, file)), File.ReadAllText(Path.Combine(cluster, file)));
        Assert.Equal(Images * MapCount, File.ReadAllLines(Path.Combine(single, "results.csv")).Length - 1);
    }
}
