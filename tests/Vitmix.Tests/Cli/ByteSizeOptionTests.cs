using Vitmix.Cli;

namespace Vitmix.Tests.Cli;

/// <summary>--max-memory sizes: bytes, or K/M/G/T in powers of 1024.</summary>
public class ByteSizeOptionTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("4096", 4096L)]
    [InlineData("100B", 100L)]
    [InlineData("1K", 1024L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("512mb", 512L << 20)]
    [InlineData("8G", 8L << 30)]
    [InlineData("8 GiB", 8L << 30)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("2T", 2L << 40)]
    public void SizesParse(string text, long bytes) => Assert.Equal(bytes, OptionParsers.ParseByteSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0G")]
    [InlineData("-1G")]
    [InlineData("1.5")]
    [InlineData("lots")]
    [InlineData("8X")]
    [InlineData("NaNG")]
    [InlineData("99999999999T")]
    [InlineData("9223372036854775808")]
    public void NonSizesAreRefused(string text) => Assert.Null(OptionParsers.ParseByteSize(text));
}
