using Vitmix.Model;

namespace Vitmix.Tests.Model.Families;

/// <summary>DINOv2's own position-embedding interpolation (transformers' Dinov2, the +0.1 scale offset) on the real grids.</summary>
public class Dinov2InterpolationTests
{
    [Fact]
    public void The518To224ResampleMatchesTransformers()
    {
        string folder = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Model", "Families", "interpolation");
        var grid = Vitmix.Data.Npy.Read(Path.Combine(folder, "dinov2_37.npy")).ToFloat();
        var expected = Vitmix.Data.Npy.Read(Path.Combine(folder, "dinov2_37_to_16.npy")).ToFloat();
        var actual = PositionEmbeddingResampler.Resample(grid, 0, 37, 37, 16, 16, 3, PositionEmbeddingInterpolation.BicubicScaleOffset);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5f, $"value {i}: {actual[i]} vs transformers' {expected[i]}");
        // and it is not plain bicubic to the size: the offset moves the sampling points
        var plain = PositionEmbeddingResampler.Resample(grid, 0, 37, 37, 16, 16, 3, PositionEmbeddingInterpolation.Bicubic);
        Assert.True(plain.Zip(expected, (a, b) => Math.Abs(a - b)).Max() > 1e-3f);
    }
}
