namespace Vitmix.Engine;

/// <summary>A piece of parallel work: <see cref="Execute"/> runs once for every index of a run.</summary>
internal abstract class TeamJob
{
    internal abstract void Execute(int index);
}

/// <summary>
/// A fixed team of background threads (one per core beyond the caller's) for the engine's kernels.
/// Parallel.For costs more than a small GEMM takes, so workers are woken by a semaphore and the
/// caller joins by spinning briefly, then blocking. One run at a time: a caller that finds the team busy (another
/// thread's run, or a kernel nested inside a job) gets <c>false</c> from <see cref="TryBegin"/> and
/// works alone.
/// </summary>
internal static class WorkerTeam
{
    static readonly int workerCount = Math.Clamp(Environment.ProcessorCount - 1, 0, 15);
    static readonly SemaphoreSlim[] wake = new SemaphoreSlim[workerCount];
    static int busy, started;
    static TeamJob? current;
    static int total, next, pending;
    static Exception? failure;
    // Set by the last worker to finish; the caller spins on it briefly, then blocks (on a busy machine a
    // spinning caller would take the core from the very worker it waits for).
    static readonly ManualResetEventSlim done = new(false, spinCount: 200);

    /// <summary>Threads a run uses: the workers plus the caller.</summary>
    public static int Size => workerCount + 1;

    /// <summary>Claims the team; false when it is busy or there is no second core.</summary>
    public static bool TryBegin()
    {
        if (workerCount == 0) return false;
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0) return false;
        if (Volatile.Read(ref started) == 0) Start();
        return true;
    }

    /// <summary>Releases the team claimed by <see cref="TryBegin"/>.</summary>
    public static void End() => Volatile.Write(ref busy, 0);

    /// <summary>Runs job.Execute(i) for i in [0, count) on the claimed team, the caller included; returns when all are done.</summary>
    public static void Run(TeamJob job, int count)
    {
        if (count <= 0) return;
        current = job;
        failure = null;
        total = count;
        Volatile.Write(ref next, 0);
        int helpers = Math.Min(workerCount, count - 1);
        done.Reset();
        Volatile.Write(ref pending, helpers);
        for (int i = 0; i < helpers; i++) wake[i].Release();
        Drain();
        if (helpers > 0) done.Wait();
        current = null;
        if (failure is { } e) throw new AggregateException("a worker thread failed", e);
    }

    static void Drain()
    {
        var job = current!;
        int i;
        while ((i = Interlocked.Increment(ref next) - 1) < total) job.Execute(i);
    }

    static void Start()
    {
        lock (wake)
        {
            if (started != 0) return;
            for (int w = 0; w < workerCount; w++)
            {
                var sem = wake[w] = new SemaphoreSlim(0);
                var thread = new Thread(() => Work(sem)) { IsBackground = true, Name = $"vitmix-worker-{w + 1}" };
                thread.Start();
            }
            Volatile.Write(ref started, 1);
        }
    }

    static void Work(SemaphoreSlim sem)
    {
        while (true)
        {
            sem.Wait();
            try { Drain(); }
            catch (Exception e) { failure = e; }
            if (Interlocked.Decrement(ref pending) == 0) done.Set();
        }
    }
}
