using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Vitmix.Bench;

/// <summary>The GEMMs of a ViT-B/16 forward, with a GFLOP/s column.</summary>
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    GemmRunner runner = null!;

    public static IEnumerable<GemmShape> Shapes() => GemmShape.VitB(1).Concat(GemmShape.VitB(16).Take(1));

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    [GlobalSetup]
    public void Setup() => runner = new GemmRunner(Shape);

    [Benchmark]
    public void Multiply() => runner.Run();

    sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig() => AddColumn(new GflopsColumn());
    }

    sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPs";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "2·M·K·N·count / mean time";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats) return "-";
            var shape = (GemmShape)benchmarkCase.Parameters["Shape"];
            return (shape.Flop / stats.Mean).ToString("F1"); // FLOP per ns = GFLOP/s
        }
    }
}
