using Vitmix.Model;
using static Vitmix.Model.PositionEmbeddingInterpolation;

namespace Vitmix.Tests.Model;

/// <summary>
/// Expected values are worked out by hand from the kernels' definitions (see each comment), not by the code under test.
/// </summary>
public class PositionEmbeddingResamplerTests
{
    const float Tol = 1e-6f;

    // Plain bicubic (A = -0.75), 2 → 4: scale 0.5, source coord (i + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25.
    // i=0: floor -1, t=0.75; weights [f2(1.75), f1(0.75), f1(0.25), f2(1.25)] = [-0.03515625, 0.26171875, 0.87890625,
    //      -0.10546875] on taps -2,-1,0,1 → clamped 0,0,0,1: w(src0) = 1.10546875, w(src1) = -0.10546875.
    // i=1: floor 0, t=0.25; weights [-0.10546875, 0.87890625, 0.26171875, -0.03515625] on taps -1,0,1,2 → 0,0,1,1:
    //      w(src0) = 0.7734375, w(src1) = 0.2265625. i=2, i=3 mirror i=1, i=0.
    static readonly float[] CubicWeightOfSource0 = [1.10546875f, 0.7734375f, 0.2265625f, -0.10546875f];

    // Anti-aliased bicubic (Keys a = -0.5), 2 → 4: support 2 around centre (i + 0.5)/2, taps 0..1 only.
    // i=0: centre 0.25, distances 0.25 → 111/128, 1.25 → -9/128; renormalised by 102/128: 37/34, -3/34.
    // i=1: centre 0.75, distances 0.25 → 111/128, 0.75 → 29/128; renormalised by 140/128: 111/140, 29/140.
    static readonly float[] AntialiasedWeightOfSource0 = [37f / 34, 111f / 140, 29f / 140, -3f / 34];

    [Fact]
    public void CubicOneDimensionalUpsampleMatchesHandWeights()
    {
        // A 1x2 grid with dim 1: values 0 and 1, so each output is the weight of source 1 = 1 - weight of source 0.
        float[] result = PositionEmbeddingResampler.Resample([0f, 1f], 0, 1, 2, 1, 4, 1, Bicubic);
        Assert.Equal(4, result.Length);
        for (int i = 0; i < 4; i++)
            Assert.Equal(1 - CubicWeightOfSource0[i], result[i], Tol);
    }

    [Fact]
    public void CubicOneDimensionalDownsampleMatchesHandWeights()
    {
        // 4 → 2: scale 2, coords 0.5 and 2.5, t = 0.5: weights [f2(1.5), f1(0.5), f1(0.5), f2(1.5)]
        // = [-0.09375, 0.59375, 0.59375, -0.09375]. Out 0 taps -1,0,1,2 → 0,0,1,2; out 1 taps 1,2,3,4 → 1,2,3,3.
        float[] v = [1f, 10f, 100f, 1000f];
        float[] result = PositionEmbeddingResampler.Resample(v, 0, 1, 4, 1, 2, 1, Bicubic);
        Assert.Equal(0.5f * 1 + 0.59375f * 10 - 0.09375f * 100, result[0], 1e-4f);
        Assert.Equal(-0.09375f * 10 + 0.59375f * 100 + 0.5f * 1000, result[1], 1e-3f);
    }

    [Fact]
    public void CubicTwoByTwoToFourByFourIsTheOuterProductOfAxisWeights()
    {
        // Grid [[1,0],[0,0]]: output (i,j) = w_i(src row 0) · w_j(src col 0). Prefix row and dim 2 ride along.
        float[] pos = [7f, -7f, /* patches: */ 1f, 2f, 0f, 0f, 0f, 0f, 0f, 0f];
        float[] result = PositionEmbeddingResampler.Resample(pos, 1, 2, 2, 4, 4, 2, Bicubic);
        Assert.Equal((1 + 16) * 2, result.Length);
        Assert.Equal(7f, result[0]);
        Assert.Equal(-7f, result[1]);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                float w = CubicWeightOfSource0[i] * CubicWeightOfSource0[j];
                int row = 1 + i * 4 + j;
                Assert.Equal(w, result[row * 2], Tol);
                Assert.Equal(2 * w, result[row * 2 + 1], Tol);
            }
    }

    [Fact]
    public void OnlyKeysMinusHalfReproducesALinearRamp()
    {
        // 4 → 8 with values 10·x. Outputs 3 and 4 sit at source coords 1.25 and 1.75 with all taps 0..3 inside.
        // Keys' a = -0.5 (anti-aliased path) reproduces linear functions: 12.5 and 17.5.
        // a = -0.75 does not: coord 1.25 has t = 0.25, weights [-0.10546875, 0.87890625, 0.26171875, -0.03515625]
        // on x = 0..3 → 10·(0.87890625 + 2·0.26171875 - 3·0.03515625) = 12.96875; coord 1.75 mirrors it: 17.03125.
        float[] v = [0f, 10f, 20f, 30f];
        float[] keys = PositionEmbeddingResampler.Resample(v, 0, 1, 4, 1, 8, 1, AntialiasedBicubic);
        Assert.Equal(12.5f, keys[3], 1e-5f);
        Assert.Equal(17.5f, keys[4], 1e-5f);
        float[] cubic = PositionEmbeddingResampler.Resample(v, 0, 1, 4, 1, 8, 1, Bicubic);
        Assert.Equal(12.96875f, cubic[3], 1e-5f);
        Assert.Equal(17.03125f, cubic[4], 1e-5f);
    }

    [Fact]
    public void AlignedCornersKeepTheEndsAndAverageTheMiddle()
    {
        // 2 → 3 with align_corners: source coords 0·(1/2), 1·(1/2), 2·(1/2) = 0, 0.5, 1. Coord 0 and 1 hit a source
        // pixel exactly (t = 0: weights [0, 1, 0, 0]); coord 0.5 has t = 0.5 and weights [f2(1.5), f1(0.5), f1(0.5),
        // f2(1.5)] = [-0.09375, 0.59375, 0.59375, -0.09375] on taps -1, 0, 1, 2 → clamped: 0.5 and 0.5.
        float[] result = PositionEmbeddingResampler.Resample([4f, 10f], 0, 1, 2, 1, 3, 1, BicubicAlignCorners);
        Assert.Equal([4f, 7f, 10f], result);
        // Without aligned corners the ends move inwards: coord (0 + 0.5)·(2/3) − 0.5 = −1/6 does not land on pixel 0.
        float[] plain = PositionEmbeddingResampler.Resample([4f, 10f], 0, 1, 2, 1, 3, 1, Bicubic);
        Assert.NotEqual(4f, plain[0], 1e-3f);
    }

    [Fact]
    public void AntialiasedTwoByTwoToFourByFourMatchesHandWeights()
    {
        float[] pos = [1f, 0f, 0f, 0f];
        float[] result = PositionEmbeddingResampler.Resample(pos, 0, 2, 2, 4, 4, 1, AntialiasedBicubic);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(AntialiasedWeightOfSource0[i] * AntialiasedWeightOfSource0[j], result[i * 4 + j], Tol);
    }

    [Fact]
    public void AntialiasedDownsampleByTwoWidensTheFilter()
    {
        // 4 → 2: scale 2, support 4, invscale 1/2. Out 0: centre 1, taps 0..3 at scaled distances
        // |j - 1 + 0.5|/2 = 0.25, 0.25, 0.75, 1.25 → 111/128, 111/128, 29/128, -9/128; sum 242/128.
        float[] v = [1f, 10f, 100f, 1000f];
        float[] result = PositionEmbeddingResampler.Resample(v, 0, 1, 4, 1, 2, 1, AntialiasedBicubic);
        float expected0 = (111f * 1 + 111f * 10 + 29f * 100 - 9f * 1000) / 242f;
        Assert.Equal(expected0, result[0], 1e-3f);
        // Out 1 mirrors out 0: weights -9, 29, 111, 111 over 242.
        float expected1 = (-9f * 1 + 29f * 10 + 111f * 100 + 111f * 1000) / 242f;
        Assert.Equal(expected1, result[1], 1e-2f);
    }

    // Reference outputs of PyTorch 1.13 (Debian python3-torch) for input value k = 2·sin(k + 1) at flat index k:
    // torch.cat([pe[:, :1], F.interpolate(grid, size, mode='bicubic', align_corners=ac, antialias=aa)
    //   .permute(0, 2, 3, 1).reshape(1, -1, D)], 1), grid = pe[:, 1:].reshape(1, H, W, D).permute(0, 3, 1, 2);
    // ac = False except for the AlignCorners arrays (ac = True, aa = False).
    static readonly float[] Torch3x3To5x4Dim2Plain = [1.682942f, 1.818595f, 0.3838243f, -1.629467f, -1.497937f, -1.159358f, -0.9669545f, 0.5018814f, 1.594112f, 2.157054f, 0.6314741f, -1.432587f, -1.428817f, -1.26322f, -1.094548f, 0.3243367f, 1.393384f, 2.185987f, 1.026952f, -1.089111f, -1.294316f, -1.414076f, -1.286747f, 0.02913426f, 1.044204f, 2.200449f, 1.378254f, -0.6987869f, -1.104138f, -1.504104f, -1.423594f, -0.2673215f, 0.6501074f, 2.120256f, 1.58042f, -0.4536697f, -0.9776915f, -1.545336f, -1.494197f, -0.4461563f, 0.4031307f, 2.05173f];
    static readonly float[] Torch3x3To5x4Dim2Antialiased = [1.682942f, 1.818595f, 0.3538039f, -1.599305f, -1.336872f, -1.078152f, -0.8454081f, 0.484519f, 1.52009f, 2.109049f, 0.5764468f, -1.422133f, -1.272949f, -1.158964f, -0.9532379f, 0.337007f, 1.335149f, 2.127936f, 0.9717707f, -1.08882f, -1.145126f, -1.292997f, -1.137989f, 0.0679272f, 0.9887087f, 2.140771f, 1.320302f, -0.7030787f, -0.9621629f, -1.364769f, -1.267943f, -0.2044235f, 0.5946595f, 2.050523f, 1.506485f, -0.4850553f, -0.8552762f, -1.397069f, -1.333076f, -0.3544841f, 0.3726237f, 1.98909f];
    static readonly float[] Torch4x4To2x3Dim1Plain = [1.682942f, 0.7513524f, 0.9540046f, -0.4054279f, 0.2530383f, -1.038133f, -0.6294675f];
    static readonly float[] Torch3x3To5x4Dim2AlignCorners = [1.682942f, 1.818595f, 0.28224f, -1.513605f, -1.584319f, -1.141358f, -1.144878f, 0.3461123f, 1.313973f, 1.978717f, 0.5085817f, -1.348846f, -1.530844f, -1.264006f, -1.267089f, 0.1600229f, 1.127833f, 1.994527f, 0.824237f, -1.088042f, -1.426465f, -1.417209f, -1.419609f, -0.109933f, 0.8403341f, 1.981215f, 1.113219f, -0.7920278f, -1.275924f, -1.524549f, -1.526189f, -0.3763313f, 0.5256406f, 1.903787f, 1.300576f, -0.5758066f, -1.15498f, -1.580166f, -1.581256f, -0.5572211f, 0.2997544f, 1.825891f];
    static readonly float[] Torch4x4To2x3Dim1AlignCorners = [1.682942f, 1.818595f, -0.7218179f, -1.917849f, 1.981215f, 0.4248548f, -1.922795f];
    static readonly float[] Torch4x4To2x3Dim1Antialiased = [1.682942f, 0.4104799f, 0.2929396f, -0.2410963f, 0.1806708f, -0.3389911f, -0.3766823f];

    [Theory]
    [InlineData(3, 3, 5, 4, 2, Bicubic)]
    [InlineData(3, 3, 5, 4, 2, AntialiasedBicubic)]
    [InlineData(3, 3, 5, 4, 2, BicubicAlignCorners)]
    [InlineData(4, 4, 2, 3, 1, Bicubic)]
    [InlineData(4, 4, 2, 3, 1, AntialiasedBicubic)]
    [InlineData(4, 4, 2, 3, 1, BicubicAlignCorners)]
    public void MatchesPyTorchInterpolate(int oldH, int oldW, int newH, int newW, int dim, PositionEmbeddingInterpolation flavour)
    {
        float[] expected = (oldH, flavour) switch
        {
            (3, Bicubic) => Torch3x3To5x4Dim2Plain,
            (3, AntialiasedBicubic) => Torch3x3To5x4Dim2Antialiased,
            (3, _) => Torch3x3To5x4Dim2AlignCorners,
            (4, Bicubic) => Torch4x4To2x3Dim1Plain,
            (4, AntialiasedBicubic) => Torch4x4To2x3Dim1Antialiased,
            _ => Torch4x4To2x3Dim1AlignCorners,
        };
        var pos = new float[(1 + oldH * oldW) * dim];
        for (int k = 0; k < pos.Length; k++) pos[k] = (float)(2 * Math.Sin(k + 1.0));
        float[] result = PositionEmbeddingResampler.Resample(pos, 1, oldH, oldW, newH, newW, dim, flavour);
        Assert.Equal(expected.Length, result.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], result[i], 2e-5f);
    }

    [Fact]
    public void PrefixRowsAreCopiedUntouched()
    {
        const int dim = 3, prefix = 2;
        var pos = new float[(prefix + 3 * 3) * dim];
        for (int k = 0; k < pos.Length; k++) pos[k] = MathF.Sin(k + 1) * 5;
        foreach (var flavour in Enum.GetValues<PositionEmbeddingInterpolation>())
        {
            float[] result = PositionEmbeddingResampler.Resample(pos, prefix, 3, 3, 5, 4, dim, flavour);
            Assert.Equal((prefix + 20) * dim, result.Length);
            Assert.Equal(pos.AsSpan(0, prefix * dim).ToArray(), result.AsSpan(0, prefix * dim).ToArray());
        }
    }

    [Fact]
    public void ConstantGridStaysConstant()
    {
        // Every flavour's weights sum to one, so a constant patch grid must come out constant (per channel).
        const int dim = 2;
        var pos = new float[(1 + 14 * 14) * dim];
        for (int r = 1; r < 1 + 196; r++) { pos[r * dim] = 3f; pos[r * dim + 1] = -0.5f; }
        foreach (var flavour in Enum.GetValues<PositionEmbeddingInterpolation>())
        {
            float[] result = PositionEmbeddingResampler.Resample(pos, 1, 14, 14, 24, 24, dim, flavour);
            for (int r = 1; r < 1 + 576; r++)
            {
                Assert.Equal(3f, result[r * dim], 1e-5f);
                Assert.Equal(-0.5f, result[r * dim + 1], 1e-5f);
            }
        }
    }

    [Fact]
    public void SameGridReturnsACopy()
    {
        float[] pos = [1f, 2f, 3f, 4f, 5f];
        float[] result = PositionEmbeddingResampler.Resample(pos, 1, 2, 2, 2, 2, 1, Bicubic);
        Assert.Equal(pos, result);
        Assert.NotSame(pos, result);
    }

    [Fact]
    public void WrongLengthNamesTheShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => PositionEmbeddingResampler.Resample(new float[10], 1, 2, 2, 3, 3, 4, Bicubic));
        Assert.Contains("expected", ex.Message);
        Assert.Contains("2x2", ex.Message);
    }
}

/// <summary>Target grids whose arrays cannot exist are refused before anything of their size is allocated.</summary>
public class PositionEmbeddingResamplerSizeTests
{
    [Theory]
    [InlineData(50_000, 50_000, 1)]       // 2.5·10⁹ rows: past an array, though 50,000² fits an int
    [InlineData(46_341, 46_341, 1)]       // 46,341² = 2,147,488,281: wraps an int
    [InlineData(1_000, 1_000, 100_000)]   // (1 + 10⁶) · 10⁵ values
    public void OversizedGridsAreRefusedWithoutAllocatingThem(int newH, int newW, int dim)
    {
        var posEmbed = new float[(1 + 4) * dim];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentException>(() =>
            PositionEmbeddingResampler.Resample(posEmbed, 1, 2, 2, newH, newW, dim, PositionEmbeddingInterpolation.Bicubic));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than an array can hold", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }
}
