using Vitmix.Data;
using System.Text.Json;
using Vitmix.Cli.Commands;
using Vitmix.Model;
using Tensor = Vitmix.Engine.Tensor;

namespace Vitmix.Tests.Cli;

/// <summary>predict's softmax, top-K and JSON line, on a model built in memory (no ModelLoader needed).</summary>
public sealed class PredictOutputTests
{
    static LoadedModel TinyModel(string[]? names)
    {
        var config = new VitConfig { ImageHeight = 8, ImageWidth = 8, PatchSize = 4, EmbedDim = 4, Depth = 1, NumHeads = 1, MlpHidden = 8, NumClasses = 3 };
        var state = VitWeights.ExpectedShapes(config).ToDictionary(e => e.Name, e => new Tensor(e.Shape));
        return new LoadedModel
        {
            Network = new VisionTransformer(config, VitWeights.FromStateDict(config, state, "tiny")),
            Preprocessing = new Preprocessing(),
            ClassNames = names,
            Layout = CheckpointLayout.Timm,
            WeightsPath = "tiny.safetensors",
            ConfigSource = "test",
        };
    }

    [Fact]
    public void Softmax_is_stable_for_large_logits()
    {
        // e^0 : e^-1 : e^-1000 after subtracting the max 1000
        var p = Vitmix.Model.Probabilities.Softmax([1000f, 999f, 0f]);
        double e1 = Math.Exp(-1);
        Assert.Equal(1 / (1 + e1), p[0], 1e-7);
        Assert.Equal(e1 / (1 + e1), p[1], 1e-7);
        Assert.Equal(0f, p[2]);
    }

    [Fact]
    public void TopK_orders_by_value_then_index_and_clamps_k()
    {
        Assert.Equal(new[] { 1, 3, 0 }, PredictCommand.TopK([0.1f, 0.4f, 0.1f, 0.4f], 3));
        Assert.Equal(new[] { 1, 0 }, PredictCommand.TopK([0.2f, 0.8f], 10));
    }

    [Fact]
    public void Json_line_has_all_fields_with_round_trip_floats_and_names()
    {
        var model = TinyModel(["cat", "dog \"quoted\"", "bird"]);
        float[] logits = [0.1f, 1f / 3f, -2.5e-8f];
        float[] probs = [0.2f, 0.7f, 0.1f];
        string line = PredictCommand.JsonLine("in/x.png", logits, probs, [1, 0], model);
        Assert.DoesNotContain('\n', line);
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal("in/x.png", root.GetProperty("input").GetString());
        Assert.Equal(logits, root.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        Assert.Equal("0.33333334", root.GetProperty("logits")[1].GetRawText());
        Assert.Equal(probs, root.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        var top = root.GetProperty("top");
        Assert.Equal(2, top.GetArrayLength());
        Assert.Equal(1, top[0].GetProperty("index").GetInt32());
        Assert.Equal("dog \"quoted\"", top[0].GetProperty("name").GetString());
        Assert.Equal(0.7f, top[0].GetProperty("probability").GetSingle());
        Assert.Equal("cat", top[1].GetProperty("name").GetString());
    }

    [Fact]
    public void Json_line_writes_non_finite_values_as_null_and_unnamed_classes_by_index()
    {
        var model = TinyModel(null);
        string line = PredictCommand.JsonLine("x.npy", [float.NaN, float.PositiveInfinity, 0f], [float.NaN, 0f, 0f], [2], model);
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("logits")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("logits")[1].ValueKind);
        Assert.Equal("class 2", root.GetProperty("top")[0].GetProperty("name").GetString());
    }
}
