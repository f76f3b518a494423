using System.Diagnostics;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Bench;

/// <summary>A fast timing pass (median of repeated runs after warm-up), for quick comparisons.</summary>
public static class QuickBench
{
    public static int Run(string[] args)
    {
        bool gemmOnly = args.Contains("gemm"), forwardOnly = args.Contains("forward");
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256: {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}");
        if (!forwardOnly)
        {
            Console.WriteLine("GEMM (ms median, GFLOP/s)");
            foreach (int batch in new[] { 1, 16 })
                foreach (var shape in GemmShape.VitB(batch))
                {
                    var runner = new GemmRunner(shape);
                    double ms = Median(runner.Run, targetMs: 1500, out double cpuMs);
                    Console.WriteLine($"  {shape.Name,-32} {ms,9:F3} ms {shape.Flop / ms / 1e6,8:F1} GFLOP/s   (per busy core: {shape.Flop / cpuMs / 1e6,6:F1} GFLOP/s)");
                }
        }
        if (!gemmOnly)
        {
            Console.WriteLine("ViT-B/16 224 forward, random weights (ms median)");
            foreach (int batch in new[] { 1, 16 })
            {
                var model = RandomVit.Create(new VitConfig(), seed: 1);
                var images = RandomVit.Images(model.Config, batch, seed: 2);
                double ms = Median(() => model.Forward(images), targetMs: batch == 1 ? 4000 : 12000, out double cpuMs);
                Console.WriteLine($"  batch {batch,2}: {ms,9:F1} ms  ({ms / batch:F1} ms/image, {17.56e9 * batch / ms / 1e6:F0} GFLOP/s; CPU time {cpuMs:F1} ms)");
            }
        }
        return 0;
    }

    /// <summary>Median wall time in ms of <paramref name="action"/>, after warm-up, over about targetMs.</summary>
    public static double Median(Action action, double targetMs) => Median(action, targetMs, out _);

    /// <summary>Also gives the median process CPU time per run (all threads): with a shared machine, the
    /// work done per busy core-second says how fast the kernel is when it gets the cores.</summary>
    public static double Median(Action action, double targetMs, out double cpuMs)
    {
        var proc = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = new List<double>();
        action();
        action();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (total.Elapsed.TotalMilliseconds < targetMs && times.Count < 2000))
        {
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            proc.Refresh();
            cpu.Add((proc.TotalProcessorTime - c0).TotalMilliseconds);
        }
        times.Sort();
        cpu.Sort();
        cpuMs = cpu[cpu.Count / 2];
        return times[times.Count / 2];
    }
}
