using ScottPlot;

namespace Vitmix.Evaluation.Report;

/// <summary>The report's charts, rendered by ScottPlot to PNG bytes.</summary>
public static class ReportPlots
{
    const int Width = 640, Height = 400;

    /// <summary>Mean perturbation curves, one line per map, x = fraction of pixels removed/inserted.</summary>
    /// <param name="curves">One curve per map.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="xLabel">X axis label.</param>
    /// <param name="legendAtBottom">Put the legend lower right (insertion curves end high on the right).</param>
    public static byte[] Curves(IReadOnlyList<CurveSeries> curves, string title, string xLabel, bool legendAtBottom = false)
    {
        var plot = new Plot();
        for (int i = 0; i < curves.Count; i++)
        {
            double[] ys = curves[i].Values;
            double[] xs = new double[ys.Length];
            var at = curves[i].Positions;
            for (int k = 0; k < xs.Length; k++) xs[k] = at is { } p && p.Count == ys.Length ? p[k] : ys.Length == 1 ? 0 : (double)k / (ys.Length - 1);
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = curves[i].Map;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = plot.Add.Palette.GetColor(i);
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("mean class probability");
        plot.Axes.SetLimitsX(0, 1);
        plot.ShowLegend(legendAtBottom ? Alignment.LowerRight : Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Bar chart of a metric's mean per map with the confidence interval as error bars.</summary>
    public static byte[] MeanBars(IReadOnlyList<SummaryRow> rows, string metric, string title)
    {
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < rows.Count; i++)
        {
            if (!rows[i].Metrics.TryGetValue(metric, out var m) || double.IsNaN(m.Mean)) continue;
            bars.Add(new Bar
            {
                Position = i,
                Value = m.Mean,
                Error = double.IsNaN(m.HalfWidth) ? 0 : m.HalfWidth,
                FillColor = plot.Add.Palette.GetColor(i),
            });
            ticks.Add(new Tick(i, rows[i].Map));
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = ticks.Count > 4 ? -30 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ticks.Count > 4 ? Alignment.MiddleRight : Alignment.UpperCenter;
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel($"mean {metric} (95% CI)");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// A sanity check's similarities per randomisation step: x = steps 0 (the trained network) … stages, labelled by
    /// the stage randomised; one line per series, dashed ones for the independent order.
    /// </summary>
    public static byte[] RandomizationSteps(string title, IReadOnlyList<string> stages, IReadOnlyList<(string Label, double[] Values, bool Dashed)> series)
    {
        var plot = new Plot();
        var xs = Enumerable.Range(0, stages.Count + 1).Select(i => (double)i).ToArray();
        for (int i = 0; i < series.Count; i++)
        {
            var line = plot.Add.Scatter(xs, series[i].Values);
            line.LegendText = series[i].Label;
            line.MarkerSize = 4;
            line.LineWidth = 2;
            line.Color = plot.Add.Palette.GetColor(i % 3);
            if (series[i].Dashed) line.LinePattern = LinePattern.Dashed;
        }
        var ticks = new List<Tick> { new(0, "trained") };
        for (int k = 0; k < stages.Count; k++) ticks.Add(new Tick(k + 1, stages[k]));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.SetLimitsY(-0.25, 1.05);
        plot.Title(title);
        plot.YLabel("similarity to the trained network's map");
        plot.ShowLegend(Alignment.LowerLeft);
        return plot.GetImageBytes(Width, Height + 80, ImageFormat.Png);
    }
}
