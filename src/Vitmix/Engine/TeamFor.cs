namespace Vitmix.Engine;

/// <summary>Pointers and sizes an element-wise kernel needs, copied into the job of a parallel run.</summary>
internal unsafe struct RangeArgs
{
    public float* P0, P1, P2, P3, P4, P5;
    /// <summary>Per-row or per-sample results in double precision.</summary>
    public double* D0;
    public int Dim;
    /// <summary>Leading dimensions of strided operands.</summary>
    public int Ld0, Ld1, Ld2;
    public long Length;
    public float S0;
}

/// <summary>
/// Splits [0, count) into one contiguous range per team thread and calls body(args, start, end) on each;
/// runs the whole range on the caller when the work is small or the team is busy.
/// </summary>
internal static unsafe class TeamFor
{
    // Element-wise work below this many elements is done before a worker would be awake.
    const long MinWork = 1 << 16;

    public static void Run(delegate*<in RangeArgs, int, int, void> body, in RangeArgs args, int count, long work)
    {
        if (count >= 2 && work >= MinWork && WorkerTeam.TryBegin())
        {
            try
            {
                var job = Job.Instance;
                job.Body = body; job.Args = args; job.Count = count; job.Parts = Math.Min(WorkerTeam.Size, count);
                WorkerTeam.Run(job, job.Parts);
            }
            finally { WorkerTeam.End(); }
            return;
        }
        body(in args, 0, count);
    }

    /// <summary>An activation y = f(x) element by element (<paramref name="body"/> reads P0, writes P1); y may alias x.</summary>
    public static void Activation(ReadOnlySpan<float> x, Span<float> y, delegate*<in RangeArgs, int, int, void> body)
    {
        if (y.Length < x.Length) throw new ArgumentException($"output has {y.Length} elements, input {x.Length}", nameof(y));
        fixed (float* px = x, py = y)
        {
            var args = new RangeArgs { P0 = px, P1 = py };
            Run(body, args, x.Length, x.Length);
        }
    }

    /// <summary>An activation's backward dx = dy·f′(x) (<paramref name="body"/> reads P0 = x, P1 = dy, writes P2 = dx); dx may alias dy.</summary>
    public static void ActivationBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, delegate*<in RangeArgs, int, int, void> body)
    {
        if (dy.Length < x.Length || dx.Length < x.Length)
            throw new ArgumentException($"x has {x.Length} elements, dy {dy.Length}, dx {dx.Length}");
        fixed (float* px = x, pdy = dy, pdx = dx)
        {
            var args = new RangeArgs { P0 = px, P1 = pdy, P2 = pdx };
            Run(body, args, x.Length, x.Length);
        }
    }

    sealed class Job : TeamJob
    {
        public static readonly Job Instance = new();
        public delegate*<in RangeArgs, int, int, void> Body;
        public RangeArgs Args;
        public int Count, Parts;

        internal override void Execute(int index)
        {
            int start = (int)((long)Count * index / Parts), end = (int)((long)Count * (index + 1) / Parts);
            if (end > start) Body(in Args, start, end);
        }
    }
}
