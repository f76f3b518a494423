using System.Text.Json;
using SkiaSharp;
using Vitmix.Data;
using Vitmix.Tests.Data;

namespace Vitmix.Tests.Cli;

/// <summary>predict and info on the golden vit32 checkpoint; expected logits come from the golden set.</summary>
public sealed class PredictCommandTests : IDisposable
{
    readonly ImageFixtures _files = new();
    public void Dispose() => _files.Dispose();

    static string Input(string name) => Path.Combine(GoldenModel.Set, name, "input.npy");
    static string Png(string name) => Path.Combine(GoldenModel.Set, "images", name + ".png");
    static float[] GoldenLogits(string name) => Npy.Read(Path.Combine(GoldenModel.Set, name, "logits.npy")).ToFloat();

    /// <summary>The golden absolute tolerance for the logits of <paramref name="name"/> (manifest images[i].tolerance.arrays.logits).</summary>
    static double LogitTolerance(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenModel.Set, "manifest.json")));
        foreach (var image in doc.RootElement.GetProperty("images").EnumerateArray())
            if (image.GetProperty("name").GetString() == name)
                return image.GetProperty("tolerance").GetProperty("arrays").GetProperty("logits").GetDouble();
        throw new InvalidDataException($"manifest has no image {name}");
    }

    static JsonElement[] JsonLines(CliRunner.Result r) => r.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [SkippableFact]
    public void Json_logits_match_the_golden_logits_for_npy_and_png_inputs()
    {
        GoldenModel.SkipUnlessLoaderExists();
        var r = CliRunner.Run("predict", Input("disk"), Png("square_disk"), "--model", GoldenModel.Weights, "--json", "--top", "3");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Err);
        var lines = JsonLines(r);
        Assert.Equal(2, lines.Length);
        foreach (var (line, name, input) in new[] { (lines[0], "disk", Input("disk")), (lines[1], "square_disk", Png("square_disk")) })
        {
            Assert.Equal(input, line.GetProperty("input").GetString());
            var logits = Floats(line.GetProperty("logits"));
            var golden = GoldenLogits(name);
            Assert.Equal(golden.Length, logits.Length);
            double tol = LogitTolerance(name);
            for (int i = 0; i < golden.Length; i++) Assert.InRange(logits[i], golden[i] - tol, golden[i] + tol);

            // probabilities = softmax(logits), computed here independently in double
            var probs = Floats(line.GetProperty("probabilities"));
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            for (int i = 0; i < logits.Length; i++) Assert.Equal(Math.Exp(logits[i] - max) / sum, probs[i], 1e-6);

            var top = line.GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(3, top.Length);
            var expectedOrder = Enumerable.Range(0, golden.Length).OrderByDescending(i => golden[i]).Take(3).ToArray();
            Assert.Equal(expectedOrder, top.Select(t => t.GetProperty("index").GetInt32()).ToArray());
            Assert.Equal($"class {expectedOrder[0]}", top[0].GetProperty("name").GetString());
            Assert.Equal(probs[expectedOrder[0]], top[0].GetProperty("probability").GetSingle());
        }
    }

    [SkippableFact]
    public void Json_floats_round_trip_exactly()
    {
        GoldenModel.SkipUnlessLoaderExists();
        var r = CliRunner.Run("predict", Input("disk"), "--model", GoldenModel.Weights, "--json");
        var line = Assert.Single(JsonLines(r));
        foreach (var e in line.GetProperty("logits").EnumerateArray())
        {
            string raw = e.GetRawText();
            Assert.Equal(float.Parse(raw, System.Globalization.CultureInfo.InvariantCulture).ToString("R", System.Globalization.CultureInfo.InvariantCulture), raw);
        }
    }

    [Fact]
    public void A_folder_input_is_its_images_and_arrays_in_name_order()
    {
        string dir = Directory.CreateDirectory(_files.PathFor("inputs")).FullName;
        File.Copy(Png("square_disk"), Path.Combine(dir, "b.PNG"));
        File.Copy(Input("disk"), Path.Combine(dir, "a.npy"));
        File.Copy(Png("disk"), Path.Combine(dir, "c.png"));
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an input");
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.Copy(Png("disk"), Path.Combine(dir, "sub", "d.png")); // sub-folders are not entered

        var folder = CliRunner.Run("predict", dir, "--model", GoldenModel.Weights, "--json");
        Assert.True(folder.ExitCode == 0, folder.Err);
        var files = CliRunner.Run("predict", Path.Combine(dir, "a.npy"), Path.Combine(dir, "b.PNG"), Path.Combine(dir, "c.png"),
            "--model", GoldenModel.Weights, "--json");
        Assert.Equal(files.OutLines, folder.OutLines);
        Assert.Equal(3, folder.OutLines.Length);

        string empty = Directory.CreateDirectory(_files.PathFor("empty")).FullName;
        var none = CliRunner.Run("predict", empty, "--model", GoldenModel.Weights);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains($"{empty}: a folder with no inputs", Assert.Single(none.ErrLines));
    }

    [SkippableFact]
    public void Batch_size_does_not_change_the_results()
    {
        GoldenModel.SkipUnlessLoaderExists();
        string[] inputs = [Input("disk"), Input("square_disk"), Png("disk")];
        var one = CliRunner.Run(["predict", .. inputs, "--model", GoldenModel.Weights, "--json", "--batch-size", "1"]);
        var all = CliRunner.Run(["predict", .. inputs, "--model", GoldenModel.Weights, "--json", "--batch-size", "8"]);
        Assert.Equal(0, one.ExitCode);
        var a = JsonLines(one).Select(l => Floats(l.GetProperty("logits"))).ToArray();
        var b = JsonLines(all).Select(l => Floats(l.GetProperty("logits"))).ToArray();
        Assert.Equal(3, a.Length);
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < a[i].Length; k++) Assert.Equal(a[i][k], b[i][k], 1e-5f);
    }

    [SkippableFact]
    public void Failing_inputs_get_one_error_line_each_and_the_others_are_still_predicted()
    {
        GoldenModel.SkipUnlessLoaderExists();
        string missing = _files.PathFor("missing.png");
        string bad = _files.Write("bad.png", "not an image"u8.ToArray());
        string wrongShape = _files.PathFor("small.npy");
        Npy.WriteFloat32(wrongShape, new float[3 * 8 * 8], 1, 3, 8, 8);
        var r = CliRunner.Run("predict", missing, Input("disk"), bad, wrongShape, "--model", GoldenModel.Weights, "--json");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(JsonLines(r));
        Assert.Equal(Input("disk"), line.GetProperty("input").GetString());
        Assert.Equal(3, r.ErrLines.Length);
        Assert.Equal($"vitmix: error: {missing}: file not found", r.ErrLines[0]);
        Assert.StartsWith($"vitmix: error: {bad}: not a decodable image", r.ErrLines[1]);
        Assert.StartsWith($"vitmix: error: {wrongShape}: array shape (1, 3, 8, 8) does not match the model input (1, 3, 32, 32)", r.ErrLines[2]);
    }

    [SkippableFact]
    public void Table_output_names_the_input_and_the_top_classes()
    {
        GoldenModel.SkipUnlessLoaderExists();
        var r = CliRunner.Run("predict", Input("disk"), "--model", GoldenModel.Weights, "--top", "2");
        Assert.Equal(0, r.ExitCode);
        var golden = GoldenLogits("disk");
        int best = Array.IndexOf(golden, golden.Max());
        Assert.Contains("disk", r.Out);
        Assert.Contains($"class {best}", r.Out);
        Assert.Contains("probability", r.Out);
        Assert.Equal(2, r.OutLines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"class \d")));
    }

    [SkippableFact]
    public void Image_of_another_size_is_resized_by_the_model_preprocessing()
    {
        GoldenModel.SkipUnlessLoaderExists();
        // a 64x48 image: crop_pct 1.0 → shorter side 48 → 32, 42x32 (int(32·64/48) = 42), centre crop 32x32
        var rgb = new byte[64 * 48 * 3];
        new Random(3).NextBytes(rgb);
        string path = _files.Write("big.png", ImageFixtures.Encode(ImageFixtures.ToRgba(rgb), 64, 48, SKEncodedImageFormat.Png));
        var r = CliRunner.Run("predict", path, "--model", GoldenModel.Weights, "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(10, Assert.Single(JsonLines(r)).GetProperty("logits").GetArrayLength());
    }

    [SkippableFact]
    public void Cancelled_run_exits_130()
    {
        GoldenModel.SkipUnlessLoaderExists();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = CliRunner.Run(cts.Token, "predict", Input("disk"), "--model", GoldenModel.Weights);
        Assert.Equal(130, r.ExitCode);
        Assert.Equal("vitmix: interrupted", Assert.Single(r.ErrLines));
    }

    [SkippableFact]
    public void Info_shows_config_parameter_count_and_preprocessing()
    {
        GoldenModel.SkipUnlessLoaderExists();
        var r = CliRunner.Run("info", "--model", GoldenModel.Weights);
        Assert.Equal(0, r.ExitCode);
        long parameters = GoldenModel.ParameterCount(GoldenModel.Weights);
        Assert.Contains(parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), r.Out);
        Assert.Contains("depth 3", r.Out);
        Assert.Contains("heads 3", r.Out);
        Assert.Contains("timm", r.Out);
        Assert.Contains("bilinear", r.Out);
        Assert.Contains("weights.safetensors", r.Out);
    }

    [SkippableFact]
    public void Overrides_reach_the_model()
    {
        GoldenModel.SkipUnlessLoaderExists();
        var r = CliRunner.Run("info", "--model", GoldenModel.Weights, "--interpolation", "bicubic", "--mean", "0.1,0.2,0.3", "--resize", "squash");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("squash", r.Out);
        Assert.Contains("bicubic", r.Out);
        Assert.Contains("0.2", r.Out);
    }
}
