using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Model;
using Vitmix.Training;

namespace Vitmix.Tests.Training;

/// <summary>Fine-tuning a checkpoint to a new class count, saving, reloading and resuming.</summary>
public class FineTuningTests
{
    // Two easily separable classes: the left or the right half of the image is the bright one.
    static List<LabelledImage> TinyData(int count, int w, int h, int seed)
    {
        var rng = new Random(seed);
        var list = new List<LabelledImage>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var px = new byte[w * h * 3];
            for (int j = 0; j < px.Length; j++) px[j] = (byte)rng.Next(0, 60);
            int x0 = label == 0 ? 0 : w / 2;
            for (int y = 0; y < h; y++)
                for (int x = x0; x < x0 + w / 2; x++)
                    for (int c = 0; c < 3; c++) px[(y * w + x) * 3 + c] += 150;
            var image = new RgbImage(px, w, h);
            list.Add(new LabelledImage($"img{i}", label, () => image));
        }
        return list;
    }

    [Fact]
    public void FineTunesANewHeadSavesReloadsAndResumes()
    {
        var pretrained = TinyModels.Random(TinyModels.Config(), seed: 3); // 4 classes
        var model = HeadReplacement.WithNewHead(pretrained, classes: 2, seed: 1);
        Assert.Equal(2, model.Config.NumClasses);
        Assert.Same(pretrained.Weights.Blocks[0].QkvWeight, model.Weights.Blocks[0].QkvWeight); // backbone kept

        var c = model.Config;
        var data = TinyData(128, c.ImageWidth, c.ImageHeight, seed: 5);
        var (train, val) = Trainer.StratifiedSplit(data, 0.25, seed: 0);
        Assert.Equal(32, val.Count);
        Assert.Equal(16, val.Count(v => v.Label == 0)); // stratified
        Assert.Empty(train.Select(t => t.Name).Intersect(val.Select(v => v.Name)));

        var pre = new Preprocessing { InputHeight = c.ImageHeight, InputWidth = c.ImageWidth, Resize = ResizeMode.Squash, Interpolation = "bilinear" };
        var options = new TrainingOptions { Epochs = 20, BatchSize = 16, LearningRate = 5e-3f, WarmupEpochs = 1, Patience = 0, Augmentation = AugmentationOptions.None };
        var dir = Directory.CreateTempSubdirectory("vitmix-ft").FullName;
        try
        {
            var trainer = new Trainer(model, pre, options with { Epochs = 10 }, ["left", "right"]);
            var before = trainer.Evaluate(val);
            var first = trainer.Fit(train, val, dir);
            Assert.Equal(10, first.Count);
            // Resume continues from epoch 10 to 20 rather than starting over.
            var resumed = new Trainer(model, pre, options, ["left", "right"]).Fit(train, val, dir, resume: true);
            Assert.Equal(20, resumed.Count);
            Assert.Equal(first.Select(e => e.Epoch), resumed.Take(10).Select(e => e.Epoch));
            var after = trainer.Evaluate(val);
            Assert.True(after.Accuracy >= 0.9, $"validation accuracy {after.Accuracy:P0} (before {before.Accuracy:P0})");
            Assert.True(after.Loss < before.Loss);

            // The best model is saved in timm layout with a config.json naming the classes, and reloads.
            var loaded = ModelLoader.Load(dir);
            Assert.Equal(CheckpointLayout.Timm, loaded.Layout);
            Assert.Equal(["left", "right"], loaded.ClassNames!);
            Assert.Equal(2, loaded.Config.NumClasses);
            Assert.True(File.Exists(Path.Combine(dir, "last.safetensors")));
            Assert.True(File.Exists(Path.Combine(dir, "optimizer.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ValidationSeesImagesThroughTheModelsEvalPreprocessing()
    {
        // Images larger than the model and not square, a timm-style crop (crop_pct 0.75, bicubic): held-out loss and
        // accuracy must be those of the predict path (ImagePreprocessor + Forward), not of a plain squash.
        var model = TinyModels.Random(TinyModels.Config() with { NumClasses = 2 }, seed: 3);
        var c = model.Config;
        var data = TinyData(6, 3 * c.ImageWidth, 2 * c.ImageHeight, seed: 9);
        var pre = new Preprocessing { InputHeight = c.ImageHeight, InputWidth = c.ImageWidth, Resize = ResizeMode.Crop, CropPct = 0.75, Interpolation = "bicubic" };
        var (loss, accuracy) = new Trainer(model, pre, new TrainingOptions { BatchSize = 4 }, ["left", "right"]).Evaluate(data);

        double expectedLoss = 0; int correct = 0;
        foreach (var image in data)
        {
            var logits = model.Forward(ImagePreprocessor.ToTensor(image.Load(), pre)).Data;
            double max = logits.Max(), sum = logits.Sum(v => Math.Exp(v - max));
            expectedLoss += -(logits[image.Label] - max - Math.Log(sum));
            if (Array.IndexOf(logits, logits.Max()) == image.Label) correct++;
        }
        Assert.Equal(expectedLoss / data.Count, loss, 5);
        Assert.Equal((double)correct / data.Count, accuracy);

        // A squash of the same images gives other logits, so the check above can tell the two apart.
        var squash = pre with { Resize = ResizeMode.Squash };
        Assert.NotEqual(model.Forward(ImagePreprocessor.ToTensor(data[0].Load(), pre)).Data,
            model.Forward(ImagePreprocessor.ToTensor(data[0].Load(), squash)).Data);
    }

    public static TheoryData<TrainingOptions, string> MeaninglessOptions => new()
    {
        { new TrainingOptions { LearningRate = -1e-3f }, "learning rate" },
        { new TrainingOptions { LearningRate = float.NaN }, "learning rate" },
        { new TrainingOptions { BatchSize = 0 }, "batch size" },
        { new TrainingOptions { Epochs = 0 }, "epochs" },
        { new TrainingOptions { WeightDecay = -0.1f }, "weight decay" },
        { new TrainingOptions { WarmupEpochs = -1 }, "warmup" },
        { new TrainingOptions { Patience = -1 }, "patience" },
        { new TrainingOptions { LabelSmoothing = 1 }, "label smoothing" },
        { new TrainingOptions { ClassWeights = [0f, 0f] }, "class weights" },
        { new TrainingOptions { MinLearningRate = -1e-6f }, "minimum learning rate" },
    };

    [Theory]
    [MemberData(nameof(MeaninglessOptions))]
    public void TrainerRefusesMeaninglessOptions(TrainingOptions options, string named)
    {
        var model = TinyModels.Random(TinyModels.Config() with { NumClasses = 2 }, seed: 3);
        var pre = new Preprocessing { InputHeight = model.Config.ImageHeight, InputWidth = model.Config.ImageWidth };
        var ex = Assert.Throws<ArgumentException>(() => new Trainer(model, pre, options, ["a", "b"]));
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void CrossEntropyGradientIsSoftmaxMinusTarget()
    {
        float[] logits = [1f, 2f, 0.5f];
        var grad = new float[3];
        double loss = CrossEntropy.LossAndGradient(logits, [1], 3, grad);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(0.5);
        Assert.Equal(-Math.Log(Math.Exp(2) / z), loss, 6);
        Assert.Equal(Math.Exp(1) / z, grad[0], 5);
        Assert.Equal(Math.Exp(2) / z - 1, grad[1], 5);
        // Class weights: torch's weighted mean.
        var g2 = new float[6];
        double l2 = CrossEntropy.LossAndGradient([1f, 2f, 0.5f, 0f, 0f, 3f], [1, 2], 3, g2, [1f, 1f, 3f]);
        double z2 = 2 + Math.Exp(3);
        Assert.Equal((-Math.Log(Math.Exp(2) / z) - 3 * Math.Log(Math.Exp(3) / z2)) / 4, l2, 6);
    }

    [Fact]
    public void ScheduleWarmsUpThenDecays()
    {
        var s = new LearningRateSchedule(1e-3f, 10, 110, 0f);
        Assert.Equal(1e-4f, s.At(0), 6);
        Assert.Equal(1e-3f, s.At(9), 6);
        Assert.Equal(5e-4f, s.At(60), 5);
        Assert.Equal(0f, s.At(110), 6);
    }
}
