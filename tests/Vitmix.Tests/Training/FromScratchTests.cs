using Vitmix.Data;
using Vitmix.Model;
using Vitmix.Training;

namespace Vitmix.Tests.Training;

public class FromScratchTests
{
    [Fact]
    public void AFreshTimmInitialisedViTLearnsASeparableTask()
    {
        var config = new VitConfig { ImageHeight = 32, ImageWidth = 32, PatchSize = 8, EmbedDim = 48, Depth = 2, NumHeads = 3, MlpHidden = 96, NumClasses = 2 };
        var model = new VisionTransformer(config, VitInitializer.Create(config, 1));
        var rng = new Random(2);
        var data = new List<LabelledImage>();
        for (int i = 0; i < 256; i++)
        {
            int label = i % 2;
            var px = new byte[32 * 32 * 3];
            for (int j = 0; j < px.Length; j++) px[j] = (byte)rng.Next(0, 100);
            for (int y = 0; y < 32; y++)
                for (int x = label * 16; x < label * 16 + 16; x++)
                    for (int c = 0; c < 3; c++) px[(y * 32 + x) * 3 + c] += 120;
            var img = new RgbImage(px, 32, 32);
            data.Add(new LabelledImage($"i{i}", label, () => img));
        }
        var (train, val) = Trainer.StratifiedSplit(data, 0.25, 0);
        var pre = new Preprocessing { InputHeight = 32, InputWidth = 32, Resize = ResizeMode.Squash };
        var dir = Directory.CreateTempSubdirectory("vitmix-scratch").FullName;
        try
        {
            var trainer = new Trainer(model, pre, new TrainingOptions { Epochs = 4, BatchSize = 32, LearningRate = 1e-3f, WarmupEpochs = 0.5f, Patience = 0, Augmentation = AugmentationOptions.None }, ["left", "right"]);
            var history = trainer.Fit(train, val, dir);
            Assert.True(history[^1].ValidationAccuracy > 0.9, string.Join("; ", history.Select(h => $"{h.TrainLoss:F3}/{h.ValidationAccuracy:P0}")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
