using Vitmix.Layers;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Model;
using Xunit.Abstractions;

namespace Vitmix.Tests.Model;

/// <summary>
/// <see cref="ModelMemory"/>: weights counted exactly, activations estimated from the buffers the engine allocates,
/// every size in 64 bits that saturate, and the refusals of <see cref="ModelMemory.EnsureFits"/>.
/// </summary>
public class ModelMemoryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("plain")]
    [InlineData("distilled")]
    [InlineData("layerscale")]
    [InlineData("avgpool")]
    [InlineData("registers")]
    public void WeightBytesAreFourBytesPerParameterOfTheBuiltModel(string variant)
    {
        var config = variant switch
        {
            "distilled" => TinyModels.Config(distilled: true),
            "layerscale" => TinyModels.Config(layerScale: true),
            "avgpool" => TinyModels.Config(avgPool: true),
            "registers" => TinyModels.Config(registers: 3),
            _ => TinyModels.Config(),
        };
        long parameters = TinyModels.Random(config, seed: 1).Weights.Named().Sum(p => (long)p.Data.Length);
        Assert.Equal(parameters, ModelMemory.WeightCount(config));
        Assert.Equal(4 * parameters, ModelMemory.WeightBytes(config));
    }

    [Fact]
    public void AMillionBlocksAreCountedByMultiplyingOne()
    {
        var config = TinyModels.Config() with { Depth = 1_000_000 };
        // independently: the shapes of a 2-block and a 1-block model differ by exactly one block
        long Count(int depth) => VitWeights.ExpectedShapes(config with { Depth = depth }).Sum(e => e.Shape.Aggregate(1L, (a, d) => a * d));
        long perBlock = Count(2) - Count(1), outside = Count(1) - perBlock;
        Assert.Equal(outside + 1_000_000 * perBlock, ModelMemory.WeightCount(config));
    }

    [Fact]
    public void SizesSaturateInsteadOfWrapping()
    {
        // Each tensor fits an array, but 2^31 blocks of ~8·10^9 weights overflow 64 bits: the count must not wrap.
        var config = new VitConfig
        {
            ImageHeight = 16, ImageWidth = 16, PatchSize = 16, EmbedDim = 26_000, NumHeads = 1, MlpHidden = 26_000, NumClasses = 2,
            Depth = int.MaxValue,
        };
        Assert.Empty(config.Problems());
        Assert.Equal(long.MaxValue, ModelMemory.WeightBytes(config));
        var e = Assert.Throws<MemoryLimitException>(() => ModelMemory.EnsureFits(config, new MemoryBudget { Limit = 1L << 40 }, "m.safetensors"));
        Assert.Equal(long.MaxValue, e.Needed);
        Assert.Equal(1L << 40, e.Limit);
        Assert.StartsWith("m.safetensors: the model needs more than 8 EB (weights more than 8 EB, activations ", e.Message);
        Assert.EndsWith("but the memory limit is 1.0 TB", e.Message);
    }

    [Fact]
    public void MemoryLimitMessageNamesTheFileBothPartsAndTheLimitButNoFlag()
    {
        var config = TinyModels.Config();
        var estimate = ModelMemory.Estimate(config, 4, explanation: true);
        Assert.Equal(estimate.Weights + estimate.Activations, estimate.Total);
        var e = Assert.Throws<MemoryLimitException>(() =>
            ModelMemory.EnsureFits(config, new MemoryBudget { Limit = estimate.Total - 1, Batch = 4, Explanation = true }, "w.safetensors"));
        Assert.Equal(
            $"w.safetensors: the model needs {ModelMemory.FormatBytes(estimate.Total)} (weights {ModelMemory.FormatBytes(estimate.Weights)}, " +
            $"activations {ModelMemory.FormatBytes(estimate.Activations)} of an explanation pass at batch 4) but the memory limit is " +
            ModelMemory.FormatBytes(estimate.Total - 1), e.Message);
        Assert.DoesNotContain("--", e.Message);
        // exactly at the limit it fits
        ModelMemory.EnsureFits(config, new MemoryBudget { Limit = estimate.Total, Batch = 4, Explanation = true }, "w.safetensors");
    }

    [Fact]
    public void ArraysPastTheirLengthAreRefusedWhateverTheMemory()
    {
        var unlimited = new MemoryBudget { Limit = long.MaxValue };
        // patch 1 at 256: 65,537 tokens, N² = 4,295,098,369 scores for one head
        var tokens = new VitConfig { ImageHeight = 256, ImageWidth = 256, PatchSize = 1, EmbedDim = 4, Depth = 1, NumHeads = 1, MlpHidden = 16, NumClasses = 3 };
        var e = Assert.Throws<InvalidDataException>(() => ModelMemory.EnsureFits(tokens, unlimited, "p.safetensors"));
        Assert.Equal("p.safetensors: at batch 1, one attention head's scores over 65,537 tokens would need 4,295,098,369 values, more than an array can hold (2,147,483,591)", e.Message);

        // 30,001 tokens: one head's scores fit, but an explanation keeps B·H·N² of them per block
        var maps = tokens with { ImageHeight = 300, ImageWidth = 100, NumHeads = 4 };
        ModelMemory.EnsureFits(maps, unlimited, "p.safetensors");
        e = Assert.Throws<InvalidDataException>(() => ModelMemory.EnsureFits(maps, unlimited with { Explanation = true }, "p.safetensors"));
        Assert.Contains("one block's attention maps over 30,001 tokens would need 3,600,240,004 values", e.Message);
        Assert.Throws<InvalidDataException>(() => ModelMemory.EnsureFits(maps, unlimited with { Explanation = true, Batch = 2 }, "p.safetensors"));

        // a batch can overflow what one sample does not: the MLP activations are B·N·Hm
        var wide = TinyModels.Config() with { MlpHidden = 160_000_000 };
        ModelMemory.EnsureFits(wide, unlimited, "w");
        e = Assert.Throws<InvalidDataException>(() => ModelMemory.EnsureFits(wide, unlimited with { Batch = 2 }, "w"));
        Assert.Contains("at batch 2, the MLP activations of 7 tokens would need 2,240,000,000 values", e.Message);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public void ForwardEstimateBoundsTheWorkingSetOfAForwardPass(int batch, bool layerScale)
    {
        // The model's own arena counts every activation buffer a pass rents: its peak is the pass's working set.
        var config = Small() with { LayerScale = layerScale };
        var arena = new BufferArena(1L << 30);
        var model = new VisionTransformer(config, TinyModels.Random(config, seed: 3).Weights) { Buffers = arena };
        var input = TinyModels.RandomInput(config, batch, seed: 4);
        arena.ResetPeak();
        model.Forward(input);
        // the input is the caller's, and each worker thread keeps one head's scores: neither comes from the arena
        long peak = arena.PeakRentedBytes + 4L * input.Length + 4L * WorkerTeam.Size * config.NumTokens * config.NumTokens;
        long estimate = ModelMemory.ActivationBytes(config, batch, explanation: false);
        output.WriteLine($"forward at batch {batch}: peak {peak} bytes, estimated {estimate}");
        Assert.InRange(estimate, peak, 2 * peak);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public void ExplanationEstimateBoundsTheWorkingSetOfAnExplanationPass(int batch, bool layerScale)
    {
        var config = Small() with { LayerScale = layerScale, NumHeads = 2 };
        var arena = new BufferArena(1L << 30);
        var model = new VisionTransformer(config, TinyModels.Random(config, seed: 3).Weights) { Buffers = arena };
        var input = TinyModels.RandomInput(config, batch, seed: 4);
        var all = PassRequirements.Attention | PassRequirements.AttentionGradients | PassRequirements.InputGradient
                  | PassRequirements.AttentionRelevance | PassRequirements.PixelRelevance;
        arena.ResetPeak();
        using (ExplanationPass.Compute(model, input, all)) { }
        long peak = arena.PeakRentedBytes + 4L * input.Length;
        long estimate = ModelMemory.ActivationBytes(config, batch, explanation: true);
        output.WriteLine($"explanation at batch {batch}: peak {peak} bytes, estimated {estimate}");
        Assert.InRange(estimate, peak, 2 * peak);
    }

    /// <summary>Big enough that activations dwarf the fixed costs of a call, one head so attention stays on this thread.</summary>
    static VitConfig Small() => new()
    {
        ImageHeight = 64, ImageWidth = 64, PatchSize = 8, EmbedDim = 32, Depth = 3, NumHeads = 1, MlpHidden = 128, NumClasses = 5,
    };

    [Theory]
    [InlineData(0L, "0 bytes")]
    [InlineData(1023L, "1023 bytes")]
    [InlineData(1024L, "1.0 KB")]
    [InlineData(1536L, "1.5 KB")]
    [InlineData(15_784_004_812L, "14.7 GB")]
    [InlineData(long.MaxValue, "more than 8 EB")]
    public void BytesAreFormattedInBinaryUnits(long bytes, string expected) => Assert.Equal(expected, ModelMemory.FormatBytes(bytes));

    [Fact]
    public void MultiplyAndAddSaturate()
    {
        Assert.Equal(6, ModelMemory.Multiply(2, 3));
        Assert.Equal(0, ModelMemory.Multiply(0, long.MaxValue));
        Assert.Equal(long.MaxValue, ModelMemory.Multiply(1L << 32, 1L << 31));
        Assert.Equal((1L << 62), ModelMemory.Multiply(1L << 31, 1L << 31));
        Assert.Equal(long.MaxValue, ModelMemory.Add(long.MaxValue - 1, 2));
        Assert.Equal(long.MaxValue, ModelMemory.Elements([65537, 65537, 65537, 65537, 65537]));
    }
}
