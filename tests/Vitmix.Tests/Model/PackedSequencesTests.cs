using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Tests.Model;

/// <summary>
/// Sequences of different lengths run together, packed without padding: each must give the logits it gives alone, so
/// attention never reaches across sequences and the readout reads each sequence's own rows.
/// </summary>
public class PackedSequencesTests
{
    public static TheoryData<string> Variants() => ["plain", "distilled", "registers", "avg-pool", "layerscale"];

    static VitConfig ConfigOf(string variant) => variant switch
    {
        "distilled" => TinyModels.Config(distilled: true),
        "registers" => TinyModels.Config(registers: 2),
        "avg-pool" => TinyModels.Config(avgPool: true),
        "layerscale" => TinyModels.Config(layerScale: true),
        _ => TinyModels.Config(),
    };

    [Theory, MemberData(nameof(Variants))]
    public void EachPackedSequenceGivesItsOwnLogits(string variant)
    {
        var model = TinyModels.Random(ConfigOf(variant), seed: 11);
        var c = model.Config;
        int p = c.NumPatches, k = c.NumClasses;
        var images = TinyModels.RandomInput(c, 3, seed: 12);
        var embedded = model.EmbedTokens(images);
        var rng = new Random(13);
        // Three lengths, one of them every patch and one a single patch (the shortest an average pool allows).
        var kept = new[] { p, 1, p / 2 }.Select(n => Enumerable.Range(0, p).OrderBy(_ => rng.Next()).Take(n).ToArray()).ToList();
        var packed = model.ForwardEmbedded(embedded, kept).Data;
        for (int s = 0; s < kept.Count; s++)
        {
            var alone = model.ForwardEmbedded(new Vitmix.Engine.Tensor(embedded.Data.AsSpan(s * c.NumTokens * c.EmbedDim, c.NumTokens * c.EmbedDim).ToArray(),
                1, c.NumTokens, c.EmbedDim), [kept[s]]).Data;
            for (int j = 0; j < k; j++)
                Assert.True(Math.Abs(packed[s * k + j] - alone[j]) <= 1e-5f + 1e-5f * Math.Abs(alone[j]),
                    $"{variant}: sequence {s} ({kept[s].Length} patches), class {j}: packed {packed[s * k + j]} vs alone {alone[j]}");
        }
        // Subsets of one image with its first block's q, k, v gathered from the whole sequence's: each still its own logits.
        var first = new Vitmix.Engine.Tensor(images.Data.AsSpan(0, c.InChannels * c.ImageHeight * c.ImageWidth).ToArray(), 1, c.InChannels, c.ImageHeight, c.ImageWidth);
        var shared = model.EmbedForSubsets(first);
        Assert.NotNull(shared.FirstQkv);
        var gathered = model.ForwardEmbedded(shared, kept).Data;
        var projected = model.ForwardEmbedded(shared.Tokens, kept).Data;
        for (int i = 0; i < gathered.Length; i++)
            Assert.True(Math.Abs(gathered[i] - projected[i]) <= 1e-5f + 1e-5f * Math.Abs(projected[i]), $"{variant}: logit {i}: gathered {gathered[i]} vs projected {projected[i]}");
        // ... and the gathered rows are what the first attention reads: other q, k, v give other logits.
        var zeros = new Vitmix.Engine.Tensor(shared.FirstQkv!.Shape);
        var fromZeros = model.ForwardEmbedded(new EmbeddedTokens(shared.Tokens, zeros), kept).Data;
        Assert.True(fromZeros.Zip(gathered).Any(pair => Math.Abs(pair.First - pair.Second) > 1e-3f), $"{variant}: the given q, k, v were not read");
        // Keeping every patch is the plain forward, and the plain forward (its last block for the read tokens alone) is the pass of every token.
        var full = model.Forward(images).Data;
        using (var trace = model.Run(images, record: false))
            for (int i = 0; i < full.Length; i++)
                Assert.True(Math.Abs(full[i] - trace.Logits[i]) <= 1e-5f + 1e-5f * Math.Abs(trace.Logits[i]), $"{variant}: logit {i}: forward {full[i]} vs every token {trace.Logits[i]}");
        for (int j = 0; j < k; j++) Assert.True(Math.Abs(packed[j] - full[j]) <= 1e-5f + 1e-5f * Math.Abs(full[j]), $"{variant}: class {j}");
    }

    [Fact]
    public void LengthsAreChecked()
    {
        Assert.Throws<ArgumentException>(() => new PackedSequences([3, 0, 2]));
        Assert.Throws<ArgumentException>(() => new PackedSequences([]));
        var packed = new PackedSequences([3, 1, 2]);
        Assert.Equal(6, packed.TotalTokens);
        Assert.Equal((4, 2), (packed.Start(2), packed.Length(2)));
    }
}
