using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Everything an explanation run varies.</summary>
public sealed record ExplanationSettings
{
    /// <summary>The methods, computed from one shared pass per batch.</summary>
    public required ExplainerSet Explainers { get; init; }

    /// <summary>The single maps and combinations to fuse, threshold and write.</summary>
    public required IReadOnlyList<FusionSpec> Maps { get; init; }

    /// <summary>How maps become masks.</summary>
    public IMaskThreshold Threshold { get; init; } = new OtsuThreshold();

    /// <summary>Inputs explained in one pass.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>What each input's folder holds.</summary>
    public ExplanationOutputOptions Output { get; init; } = new();
}

/// <summary>One input explained and written.</summary>
/// <param name="Index">Position among the run's inputs.</param>
/// <param name="Input">The input's path.</param>
/// <param name="Folder">Where its outputs are.</param>
/// <param name="Explanation">The class explained and the maps.</param>
public sealed record ExplainedInput(int Index, string Input, string Folder, ImageExplanation Explanation);

/// <summary>One input that could not be explained; the run goes on with the others.</summary>
/// <param name="Index">Position among the run's inputs.</param>
/// <param name="Input">The input's path.</param>
/// <param name="Error">Why (its message names the input and the problem).</param>
public sealed record FailedInput(int Index, string Input, Exception Error);

/// <summary>
/// Explains a list of inputs into an output folder (the library half of <c>vitmix explain</c>): inputs are read and
/// explained in batches from one shared pass each, every map and combination is fused, thresholded and written to its
/// own folder (<see cref="ExplanationFolder"/>). An input that cannot be read, or whose logits or maps are not finite,
/// is reported and skipped; the others are still explained.
/// </summary>
public sealed class ExplanationRunner(LoadedModel model, ExplanationSettings settings)
{
    /// <summary>
    /// Explains <paramref name="inputs"/> (images or .npy arrays) into <paramref name="outDir"/>/&lt;stem&gt;.
    /// <paramref name="targets"/> gives the class per input (null entries, or a null list: the predicted class).
    /// Returns the failures; <paramref name="explained"/> and <paramref name="failed"/> hear of each input as it ends.
    /// </summary>
    public IReadOnlyList<FailedInput> Run(IReadOnlyList<string> inputs, IReadOnlyList<int?>? targets, string outDir,
        Action<ExplainedInput>? explained = null, Action<FailedInput>? failed = null, CancellationToken cancel = default)
    {
        if (targets != null && targets.Count != inputs.Count) throw new ArgumentException($"{targets.Count} targets for {inputs.Count} inputs");
        if (settings.BatchSize <= 0) throw new ArgumentException($"batch size {settings.BatchSize} must be positive");
        var c = model.Config;
        int h = c.ImageHeight, w = c.ImageWidth;
        var stems = UniqueStems(inputs);
        var failures = new List<FailedInput>();
        void Fail(int index, Exception e)
        {
            var f = new FailedInput(index, inputs[index], e);
            failures.Add(f);
            failed?.Invoke(f);
        }

        foreach (var chunk in Enumerable.Range(0, inputs.Count).Chunk(settings.BatchSize))
        {
            var ok = new List<(int Index, Tensor Input, RgbImage Display)>();
            foreach (int i in chunk)
            {
                cancel.ThrowIfCancellationRequested();
                try
                {
                    var (t, d) = InputLoader.LoadWithDisplay(inputs[i], model.Preprocessing, h, w);
                    FiniteCheck.Require(t.Data, inputs[i], "the input's values", "element");
                    ok.Add((i, t, d));
                }
                catch (Exception e) when (IsInputError(e)) { Fail(i, e); }
            }
            if (ok.Count == 0) continue;
            cancel.ThrowIfCancellationRequested();
            // -1: the shared pass explains that input's predicted class.
            int[]? chosen = ok.All(o => targets?[o.Index] is null) ? null : ok.Select(o => targets![o.Index] ?? -1).ToArray();
            var explanations = settings.Explainers.Explain(model.Network, InputBatch.Stack(ok.Select(o => o.Input).ToList()), chosen);
            for (int j = 0; j < ok.Count; j++)
            {
                cancel.ThrowIfCancellationRequested();
                var (index, _, display) = ok[j];
                var e = explanations[j];
                try
                {
                    RequireFinite(inputs[index], e);
                    var results = CombinationEvaluator.Run(e.Maps, settings.Maps, h, w, settings.Threshold);
                    string folder = ExplanationFolder.Write(outDir, stems[index], inputs[index], model, display, e, results, settings.Output);
                    explained?.Invoke(new ExplainedInput(index, inputs[index], folder, e));
                }
                catch (InvalidDataException ex) { Fail(index, ex); }
            }
        }
        return failures;
    }

    /// <summary>What reading one input can fail with (missing, unreadable, undecodable, wrong size, not finite).</summary>
    static bool IsInputError(Exception e) =>
        e is InvalidDataException or IOException or NotSupportedException or FormatException or UnauthorizedAccessException or ArgumentException;

    /// <summary>Logits or maps with NaN or infinity cannot be fused, thresholded or written as JSON: the input fails.</summary>
    static void RequireFinite(string input, ImageExplanation e)
    {
        FiniteCheck.Require(e.Logits, input, "the model's logits", "class");
        foreach (var (name, map) in e.Maps) FiniteCheck.Require(map.Values, input, $"the {name} map's values", "position");
    }

    /// <summary>Output folder names from input file stems, made unique ("x", "x_2") when two inputs share one.</summary>
    public static string[] UniqueStems(IReadOnlyList<string> inputs)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        return inputs.Select(p =>
        {
            string stem = Path.GetFileNameWithoutExtension(p);
            if (stem.Length == 0) stem = "input";
            string s = stem;
            for (int n = 2; !used.Add(s); n++) s = $"{stem}_{n}";
            return s;
        }).ToArray();
    }
}
