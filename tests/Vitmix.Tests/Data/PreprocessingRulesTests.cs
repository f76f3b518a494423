using Vitmix.Data;

namespace Vitmix.Tests.Data;

/// <summary><see cref="Preprocessing.Problems"/>: the rules a config's preprocessing and the CLI options share.</summary>
public class PreprocessingRulesTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(new Preprocessing().Problems());

    [Theory]
    [InlineData(new[] { 0f, 0f, 0f }, "std [0, 0, 0]: expected 3 values, each a positive number")]
    [InlineData(new[] { 0.5f, 0.5f }, "std [0.5, 0.5]: expected 3 values, each a positive number")]
    [InlineData(new[] { 0.5f, -0.5f, 0.5f }, "std [0.5, -0.5, 0.5]: expected 3 values, each a positive number")]
    [InlineData(new[] { 0.5f, float.NaN, 0.5f }, "std [0.5, NaN, 0.5]: expected 3 values, each a positive number")]
    public void StdMustBeThreePositiveFiniteValues(float[] std, string expected) =>
        Assert.Equal(expected, Assert.Single(new Preprocessing { Std = std }.Problems()));

    [Fact]
    public void MeanMayBeAnyFiniteValue()
    {
        Assert.Empty(new Preprocessing { Mean = [-3f, 0f, 7f] }.Problems());
        Assert.Equal("mean [Infinity, 0, 0]: expected 3 values, each a finite number",
            Assert.Single(new Preprocessing { Mean = [float.PositiveInfinity, 0f, 0f] }.Problems()));
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(-0.5, false)]
    [InlineData(1.0000001, false)]
    [InlineData(double.NaN, false)]
    [InlineData(0.875, true)]
    [InlineData(1.0, true)]
    public void CropPctIsInZeroToOne(double crop, bool valid)
    {
        Assert.Equal(valid, new Preprocessing { CropPct = crop }.Problems().Count == 0);
        Assert.Equal(valid, Preprocessing.CropPctRange.Contains(crop)); // what --crop-pct checks
    }

    [Fact]
    public void InterpolationIsOneOfTheResamplersFilters()
    {
        foreach (var name in ResampleFilters.Names) Assert.Empty(new Preprocessing { Interpolation = name }.Problems());
        var e = Assert.Throws<InvalidDataException>(() => new Preprocessing { Interpolation = "spline" }.Validate());
        Assert.StartsWith("invalid preprocessing: interpolation 'spline' is not supported", e.Message);
    }
}
