using System.Text.Json;
using SkiaSharp;
using Vitmix.Model;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>`vitmix train` on a user's classification data: an ImageFolder tree, fine-tuning a checkpoint to its classes.</summary>
public class TrainCommandTests : IDisposable
{
    readonly TempDir data = new(), outDir = new();

    public void Dispose()
    {
        data.Dispose();
        outDir.Dispose();
    }

    // Three classes a 32 px model can tell apart: which third of the image is bright.
    static void MakeImageFolder(TempDir tmp, int perClass)
    {
        string[] classes = ["left", "middle", "right"];
        var rng = new Random(4);
        for (int c = 0; c < classes.Length; c++)
            for (int i = 0; i < perClass; i++)
            {
                var rgb = new byte[32 * 32 * 3];
                for (int p = 0; p < 32 * 32; p++)
                {
                    int x = p % 32;
                    byte v = (byte)(x / 11 == c ? 200 + rng.Next(40) : rng.Next(60));
                    rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = v;
                }
                Directory.CreateDirectory(tmp.Combine(classes[c]));
                FixtureImages.WriteRgb(tmp.Combine(classes[c], $"{i:D2}.png"), rgb, 32, 32, SKEncodedImageFormat.Png);
            }
    }

    [Fact]
    public void FineTunesACheckpointToTheClassesOfAnImageFolder()
    {
        MakeImageFolder(data, perClass: 8);
        string run = outDir.Combine("run");
        var r = CliRunner.Run("train", "--dataset", "imagefolder:" + data.Path, "--model", GoldenModel.Weights, "--out", run,
            "--epochs", "2", "--batch-size", "8", "--val-split", "0.25", "--class-weights", "balanced", "--no-augment");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("classes 3", r.Out); // golden model has 10: a new head of 3

        var model = ModelLoader.Load(run);
        Assert.Equal(3, model.Config.NumClasses);
        Assert.Equal(["left", "middle", "right"], model.ClassNames!);
        var golden = ModelLoader.Load(GoldenModel.Weights);
        Assert.Equal(golden.Config with { NumClasses = 3 }, model.Config);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(3, config.RootElement.GetProperty("num_classes").GetInt32());
        Assert.Equal(["left", "middle", "right"], config.RootElement.GetProperty("label_names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "training_log.csv")).Length); // header + 2 epochs

        // The same command again without --resume must not train over the finished run.
        byte[] weights = File.ReadAllBytes(Path.Combine(run, "model.safetensors"));
        var again = CliRunner.Run("train", "--dataset", "imagefolder:" + data.Path, "--model", GoldenModel.Weights, "--out", run, "--epochs", "1");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a training run", Assert.Single(again.ErrLines));
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(run, "model.safetensors")));

        var predict = CliRunner.Run("predict", data.Combine("middle", "00.png"), "--model", run);
        Assert.True(predict.ExitCode == 0, predict.Err);
        foreach (string name in new[] { "left", "middle", "right" }) Assert.Contains(name, predict.Out);
    }

    [Fact]
    public void EvaluatingAnImageFolderIsRefusedBeforeAnyOutput()
    {
        MakeImageFolder(data, perClass: 1);
        string target = outDir.Combine("eval");
        var r = CliRunner.Run("evaluate", "--dataset", "imagefolder:" + data.Path, "--model", GoldenModel.Weights, "--out", target);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.Contains($"imagefolder:{data.Path}: no masks", line);
        Assert.False(Directory.Exists(target));
    }
}
