using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

/// <summary>Token batches: every sequence once, every batch the same token count, fillers the model can run.</summary>
public class TokenBatchesTests
{
    static void Check(int[] lengths, long budget, int longest, int shortest)
    {
        var batches = TokenBatches.Plan(lengths, budget, longest, shortest);
        long total = lengths.Sum(n => (long)n);
        Assert.Equal((int)Math.Min(lengths.Length, (total + budget - 1) / budget), batches.Count);
        Assert.Equal(Enumerable.Range(0, lengths.Length), batches.SelectMany(b => b).Where(i => i >= 0).Order());
        var sizes = batches.Select(b => b.Sum(i => i >= 0 ? lengths[i] : -i)).Distinct().ToList();
        Assert.Single(sizes);
        foreach (int filler in batches.SelectMany(b => b).Where(i => i < 0))
            Assert.InRange(-filler, Math.Max(1, shortest), longest);
        // The fillers are a small part: under one longest sequence plus one shortest per batch.
        Assert.True(sizes[0] * batches.Count - total < batches.Count * (long)(longest + shortest), $"{sizes[0] * batches.Count - total} filler tokens");
    }

    [Fact]
    public void ATokenCurvesSetsShareOneSizeWithLittleFiller()
    {
        // The sequences of a 100-step deletion curve of three maps on a ViT-B/16 (1 prefix token, 196 patches).
        var lengths = Enumerable.Range(1, 100).SelectMany(s => Enumerable.Repeat(1 + (int)Math.Round(196 * (1 - s / 100.0)), 3)).ToArray();
        Check(lengths, 32 * 197, 197, 1);
        var batches = TokenBatches.Plan(lengths, 32 * 197, 197, 1);
        long filler = batches.SelectMany(b => b).Where(i => i < 0).Sum(i => -(long)i);
        Assert.True(filler < 0.01 * lengths.Sum(), $"{filler} filler tokens of {lengths.Sum()}");
    }

    [Theory]
    [InlineData(7, 10, 1)]
    [InlineData(50, 3, 2)]
    [InlineData(500, 17, 1)]
    [InlineData(100, 1000, 3)]
    public void RandomLengthsAndBudgets(int count, int budget, int shortest)
    {
        var rng = new Random(count * 31 + budget);
        int longest = 20;
        var lengths = Enumerable.Range(0, count).Select(_ => rng.Next(shortest, longest + 1)).ToArray();
        Check(lengths, budget, longest, shortest);
    }

    [Fact]
    public void OneSequenceIsOneBatchWithoutFiller()
    {
        var batches = TokenBatches.Plan([5], 100, 10, 1);
        Assert.Equal([0], Assert.Single(batches));
        Assert.Empty(TokenBatches.Plan([], 100, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBatches.Plan([11], 100, 10, 1));
        // One prefix token and one patch to average: no filler fits, so each sequence runs alone.
        Assert.Equal([[0], [1]], TokenBatches.Plan([2, 2], 100, 2, 2).Select(b => b.ToArray()));
    }
}
