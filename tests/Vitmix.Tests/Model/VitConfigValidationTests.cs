using Vitmix.Model;

namespace Vitmix.Tests.Model;

/// <summary><see cref="VitConfig.Problems"/>: the value rules the CLI shares, and sizes kept inside an array before any int is derived.</summary>
public class VitConfigValidationTests
{
    static VitConfig Valid => TinyModels.Config();

    [Fact]
    public void TheTinyConfigIsValid() => Assert.Empty(Valid.Problems());

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void EpsMustBePositiveAndFinite(float eps)
    {
        var problem = Assert.Single((Valid with { LayerNormEps = eps }).Problems());
        Assert.StartsWith("LayerNorm eps ", problem);
        Assert.EndsWith(": expected a positive number", problem);
        Assert.False(VitConfig.LayerNormEpsRange.Contains(eps)); // the rule --eps checks
    }

    [Theory]
    [InlineData(1e-12f)]
    [InlineData(1e-6f)]
    [InlineData(0.5f)]
    public void UsualEpsValuesPass(float eps) => Assert.Empty((Valid with { LayerNormEps = eps }).Problems());

    [Fact]
    public void TokensPastAnArrayAreReportedBeforeAnyIntIsDerived()
    {
        var config = Valid with { ImageHeight = 1 << 30, ImageWidth = 1 << 30, PatchSize = 1 };
        // unchecked, 2^30 · 2^30 wraps to 0: the derived property must throw instead
        Assert.Throws<OverflowException>(() => config.NumPatches);
        var problem = Assert.Single(config.Problems());
        Assert.Equal("image 1073741824x1073741824 at patch 1 gives 1,152,921,504,606,846,977 tokens, more than an array can hold (2,147,483,591)", problem);
    }

    [Fact]
    public void WeightTensorsPastAnArrayAreNamed()
    {
        var problem = Assert.Single((Valid with { NumClasses = 2_000_000_000 }).Problems());
        Assert.Equal("head.weight [2000000000, 12] would have 24,000,000,000 elements, more than an array can hold (2,147,483,591)", problem);
        var wide = Valid with { EmbedDim = 900_000_000, NumHeads = 1 };
        Assert.Contains("embed dim 900000000 is too large", Assert.Single(wide.Problems()));
        var patch = Valid with { PatchSize = 1 << 16, ImageHeight = 1 << 16, ImageWidth = 1 << 16 };
        Assert.Contains("patch has more values than an array can hold", Assert.Single(patch.Problems()));
    }

    [Fact]
    public void AMillionBlocksAreValidatedWithoutEnumeratingThem()
    {
        // valid as a config: whether the file has the blocks and the memory holds them is checked elsewhere
        Assert.Empty((Valid with { Depth = 1_000_000 }).Problems());
    }

    [Fact]
    public void NegativeAndZeroCountsAreReported()
    {
        Assert.Contains("-1 register tokens must be zero or more", (Valid with { RegisterTokens = -1 }).Problems());
        Assert.Contains("0 input channels must be positive", (Valid with { InChannels = 0 }).Problems());
        Assert.Contains("image size 0x24 must be positive", (Valid with { ImageHeight = 0 }).Problems());
        var e = Assert.Throws<InvalidDataException>(() => (Valid with { NumHeads = 5 }).Validate());
        Assert.Equal("invalid ViT config: 5 heads do not divide embed dim 12", e.Message);
    }
}
