using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Vitmix.Data;
using Vitmix.Model;
using Vitmix.Engine;
using Tensor = Vitmix.Engine.Tensor;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix predict INPUT... --model PATH</c>: classify images or normalised .npy inputs, batched through the model.
/// An input that cannot be read, or whose logits are not finite, is reported on one line and skipped; the exit code is then 1.
/// </summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "Images (PNG, JPEG, BMP, WebP, GIF, PGM/PPM), .npy float32 arrays (1,3,H,W) / (3,H,W) already normalised, or folders of them",
            Arity = ArgumentArity.OneOrMore,
        };
        var top = OptionParsers.PositiveInt("--top", "How many of the most probable classes to show", 5, "K");
        var json = new Option<bool>("--json") { Description = "Print one JSON object per input and line: input, logits, probabilities, top" };
        var batchSize = OptionParsers.PositiveInt("--batch-size", "Inputs run through the model at once", 8);

        var command = new Command("predict", "Classify images with a ViT checkpoint and show the top-K classes");
        command.Arguments.Add(inputs);
        model.AddTo(command);
        command.Options.Add(top);
        command.Options.Add(json);
        command.Options.Add(batchSize);
        command.SetAction((parse, cancel) =>
        {
            var options = new Settings(parse.GetValue(top), parse.GetValue(json), parse.GetValue(batchSize));
            var files = InputPaths.Expand(parse.GetRequiredValue(inputs));
            // The memory check sizes the batches that will really run.
            var loaded = model.Load(parse, Math.Clamp(files.Length, 1, options.BatchSize));
            int code = Run(loaded, files, options, parse, cancel);
            return Task.FromResult(code);
        });
        return command;
    }

    sealed record Settings(int Top, bool Json, int BatchSize);

    static int Run(LoadedModel model, string[] inputs, Settings settings, ParseResult parse, CancellationToken cancel)
    {
        var output = ConsoleOutput.Out(parse);
        var error = ConsoleOutput.Error(parse);
        var console = settings.Json ? null : ConsoleOutput.Create(parse);
        int h = model.Config.ImageHeight, w = model.Config.ImageWidth, k = model.Config.NumClasses;
        int failures = 0;

        foreach (var chunk in inputs.Chunk(settings.BatchSize))
        {
            var names = new List<string>(chunk.Length);
            var tensors = new List<Tensor>(chunk.Length);
            foreach (var path in chunk)
            {
                cancel.ThrowIfCancellationRequested();
                try
                {
                    tensors.Add(InputLoader.Load(path, model.Preprocessing, h, w));
                    names.Add(path);
                }
                catch (Exception e) when (CliErrors.IsExpected(e))
                {
                    CliErrors.Report(e, error, verbose: false, subject: path);
                    failures++;
                }
            }
            if (tensors.Count == 0) continue;

            cancel.ThrowIfCancellationRequested();
            var logits = model.Network.Forward(InputBatch.Stack(tensors));
            for (int i = 0; i < names.Count; i++)
            {
                var row = logits.Data.AsSpan(i * k, k);
                // Each sample runs through the network on its own rows, so one NaN input spoils only its own logits.
                try { FiniteCheck.Require(row, names[i], "the model's logits", "class"); }
                catch (InvalidDataException e)
                {
                    CliErrors.Report(e, error, verbose: false);
                    failures++;
                    continue;
                }
                var probabilities = Probabilities.Of(model.Config, row);
                var order = TopK(probabilities, settings.Top);
                if (settings.Json) output.WriteLine(JsonLine(names[i], row, probabilities, order, model));
                else RenderTable(console!, names[i], probabilities, order, model);
            }
        }
        return failures > 0 ? 1 : 0;
    }


    /// <summary>Indices of the <paramref name="k"/> largest values, largest first, ties by lower index.</summary>
    internal static int[] TopK(float[] values, int k) =>
        Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(Math.Min(k, values.Length)).ToArray();

    static void RenderTable(IAnsiConsole console, string input, float[] probabilities, int[] order, LoadedModel model)
    {
        // The input on its own line rather than as the table title, which Spectre would truncate to the table width.
        console.Write(new Text(input + Environment.NewLine, new Style(decoration: Decoration.Bold)));
        var table = new Table()
            .AddColumn(new TableColumn("rank").RightAligned())
            .AddColumn("class")
            .AddColumn(new TableColumn("index").RightAligned())
            .AddColumn(new TableColumn("probability").RightAligned());
        for (int r = 0; r < order.Length; r++)
        {
            int c = order[r];
            table.AddRow(
                new Text((r + 1).ToString(CultureInfo.InvariantCulture)),
                new Text(model.ClassName(c)),
                new Text(c.ToString(CultureInfo.InvariantCulture)),
                new Text(probabilities[c].ToString("0.0000", CultureInfo.InvariantCulture)));
        }
        console.Write(table);
    }

    /// <summary>One JSON object on one line; floats in shortest round-trip form (non-finite values as null).</summary>
    internal static string JsonLine(string input, ReadOnlySpan<float> logits, float[] probabilities, int[] order, LoadedModel model)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("input", input);
            json.WriteStartArray("logits");
            foreach (var v in logits) WriteFloat(json, v);
            json.WriteEndArray();
            json.WriteStartArray("probabilities");
            foreach (var v in probabilities) WriteFloat(json, v);
            json.WriteEndArray();
            json.WriteStartArray("top");
            foreach (var c in order)
            {
                json.WriteStartObject();
                json.WriteNumber("index", c);
                json.WriteString("name", model.ClassName(c));
                json.WritePropertyName("probability");
                WriteFloat(json, probabilities[c]);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static void WriteFloat(Utf8JsonWriter json, float v)
    {
        if (float.IsFinite(v)) json.WriteRawValue(v.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: true);
        else json.WriteNullValue();
    }
}
