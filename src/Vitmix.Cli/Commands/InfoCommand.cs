using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vitmix.Model;

namespace Vitmix.Cli.Commands;

/// <summary><c>vitmix info --model PATH</c>: what a checkpoint is and how its inputs are prepared.</summary>
public static class InfoCommand
{
    /// <summary>How many class names are listed.</summary>
    const int NamesShown = 5;

    public static Command Create()
    {
        var model = new ModelOptions { ClassesRequired = false };
        var command = new Command("info", "Show a checkpoint's architecture, parameter count, classes, preprocessing and layout");
        model.AddTo(command);
        command.SetAction(parse =>
        {
            var loaded = model.Load(parse);
            Render(ConsoleOutput.Create(parse), loaded);
            return 0;
        });
        return command;
    }

    static void Render(IAnsiConsole console, LoadedModel m)
    {
        var c = m.Config;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string key, string value) => grid.AddRow(new Text(key, new Style(decoration: Decoration.Bold)), new Text(value));

        if (m.Family is { } family) Row("family", family);
        Row("weights", m.WeightsPath);
        Row("config source", m.ConfigSource);
        Row("layout", m.Layout switch
        {
            CheckpointLayout.Timm => "timm",
            CheckpointLayout.HuggingFace => "Hugging Face transformers",
            CheckpointLayout.Torchvision => "torchvision",
            CheckpointLayout.OpenClip => "OpenAI CLIP / open_clip",
            _ => m.Layout.ToString(),
        });
        Row("architecture", c.ToString());
        Row("input", $"{c.InChannels}x{c.ImageHeight}x{c.ImageWidth}, patch {c.PatchSize}, grid {c.GridHeight}x{c.GridWidth}");
        Row("tokens", $"{c.NumTokens} ({c.NumPrefixTokens} prefix + {c.NumPatches} patches), readout {m.Network.Layers.OfType<Vitmix.Layers.ReadoutLayer>().Select(r => r.Description).FirstOrDefault() ?? "none"}");
        Row("parameters", FormatCount(m.ParameterCount));
        // What --max-memory is compared with: the loader's own estimate, so a user can see the margin.
        var forward = ModelMemory.Estimate(c, 1, explanation: false);
        var explanation = ModelMemory.Estimate(c, 1, explanation: true);
        Row("memory", $"weights {ModelMemory.FormatBytes(forward.Weights)}; at batch 1 a forward pass needs {ModelMemory.FormatBytes(forward.Total)}, " +
                      $"an explanation pass {ModelMemory.FormatBytes(explanation.Total)} (the limit is --max-memory)");
        Row("classes", ClassSummary(m));
        if (m.ImageText is { } head)
            Row("zero-shot", $"image embeddings of {head.EmbedDim}, {(head.Scores == ZeroShotScores.Sigmoid ? "sigmoid" : "softmax")} scores; " +
                             (head.LogitScale is { } scale ? $"exp(logit_scale) = {MathF.Exp(scale).ToString("0.###", CultureInfo.InvariantCulture)}" : "no logit_scale") +
                             $" ({head.ScaleSource})" +
                             (head.LogitBias is { } bias ? $", logit_bias {bias.ToString("0.###", CultureInfo.InvariantCulture)}" : "") +
                             (m.NeedsTextEmbeddings ? "; classes come from --text-embeddings" : ""));
        Row("preprocessing", m.Preprocessing.ToString());
        console.Write(grid);
    }

    /// <summary>"86,567,656 (86.6 M)".</summary>
    internal static string FormatCount(long n) =>
        n.ToString("N0", CultureInfo.InvariantCulture) + (n >= 1_000_000 ? $" ({(n / 1e6).ToString("0.0", CultureInfo.InvariantCulture)} M)" : "");

    static string ClassSummary(LoadedModel m)
    {
        int k = m.Config.NumClasses;
        if (m.Config.FeatureHead) return $"none: the checkpoint has no classifier; the {k} outputs are the readout's features ('class N' is feature N)";
        if (m.NeedsTextEmbeddings) return "none of its own (an image-text model: --text-embeddings gives them)";
        if (m.ClassNames is not { Length: > 0 } names) return $"{k} (no names in the checkpoint; shown as 'class N')";
        var shown = names.Take(NamesShown).Select((n, i) => $"{i}: {n}");
        return $"{k}: " + string.Join("; ", shown) + (names.Length > NamesShown ? $"; … ({names.Length - NamesShown} more)" : "");
    }
}
