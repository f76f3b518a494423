using BenchmarkDotNet.Running;
using Vitmix.Bench;

// `quick` prints GFLOP/s and ms without BenchmarkDotNet (a minute instead of many);
// anything else goes to BenchmarkDotNet's switcher (e.g. --filter '*Gemm*').
if (args.Length > 1 && args[0] == "quick" && args[1] == "explain")
    return Vitmix.Bench.ExplainBench.Run(args.Skip(2).ToArray());
if (args.Length > 1 && args[0] == "quick" && args[1] == "breakdown")
    return Vitmix.Bench.BreakdownBench.Run(args.Skip(2).ToArray());
if (args.Length > 1 && args[0] == "quick" && args[1] == "attnflow")
    return Vitmix.Bench.AttentionFlowBench.Run(args.Skip(2).ToArray());
if (args.Length > 1 && args[0] == "quick" && args[1] == "ig")
    return Vitmix.Bench.IntegratedGradientsBench.Run(args.Skip(2).ToArray());
if (args.Length > 1 && args[0] == "quick" && args[1] == "families")
    return Vitmix.Bench.FamilyBench.Run(args.Skip(2).ToArray());
if (args.Length > 1 && args[0] == "quick" && args[1] == "serve")
    return Vitmix.Bench.ServeLoadBench.Run(args.Skip(2).ToArray());
if (args.Length > 0 && args[0] == "quick")
    return QuickBench.Run(args.Skip(1).ToArray());
BenchmarkSwitcher.FromAssembly(typeof(QuickBench).Assembly).Run(args);
return 0;
