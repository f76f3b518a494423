using System.CommandLine;
using System.Text.RegularExpressions;
using SkiaSharp;
using Vitmix.Cli.Commands;
using Vitmix.Data.Synthetic;

namespace Vitmix.Tests.Data.Synthetic;

public sealed class SynthCommandTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "vitmix-synth-tests-" + Guid.NewGuid().ToString("N"));

    public SynthCommandTests() => Directory.CreateDirectory(_root);
    public void Dispose() => Directory.Delete(_root, recursive: true);

    static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = SynthCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void WritesTheFolderLayout_MatchingTheGenerator()
    {
        string dir = Path.Combine(_root, "out");
        var (code, output, error) = Run("--out", dir, "--count", "23", "--seed", "5", "--threads", "2");
        Assert.True(code == 0, error);
        Assert.Contains("23 images", output);

        var classes = File.ReadAllLines(Path.Combine(dir, "classes.txt"));
        Assert.Equal(["circle", "square", "triangle", "star", "cross", "ring", "crescent", "heart", "arrow", "bar"], classes);

        var lines = File.ReadAllText(Path.Combine(dir, "labels.csv")).Split('\n');
        Assert.Equal("name,class", lines[0]);
        Assert.Equal("", lines[^1]); // newline-terminated
        var rows = lines[1..^1];
        Assert.Equal(23, rows.Length);
        var bench = new SyntheticBenchmark(64, 5);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Matches(new Regex("^synth_[0-9]{6},[a-z]+$"), rows[i]);
            var parts = rows[i].Split(',');
            Assert.Equal($"synth_{i:D6}", parts[0]);
            Assert.Contains(parts[1], classes);
            var expected = bench.Generate(i);
            Assert.Equal(expected.ClassName, parts[1]);

            using var image = SKBitmap.Decode(Path.Combine(dir, "images", parts[0] + ".png"));
            using var mask = SKBitmap.Decode(Path.Combine(dir, "masks", parts[0] + ".png"));
            Assert.Equal((64, 64), (image.Width, image.Height));
            Assert.Equal((64, 64), (mask.Width, mask.Height));
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                {
                    int p = y * 64 + x;
                    var c = image.GetPixel(x, y);
                    Assert.Equal((expected.Image.Pixels[3 * p], expected.Image.Pixels[3 * p + 1], expected.Image.Pixels[3 * p + 2]),
                        (c.Red, c.Green, c.Blue));
                    var m = mask.GetPixel(x, y);
                    Assert.Equal(expected.Mask[p] == 1 ? (byte)255 : (byte)0, m.Red);
                }
        }
        Assert.Equal(23, Directory.GetFiles(Path.Combine(dir, "images")).Length);
        Assert.Equal(23, Directory.GetFiles(Path.Combine(dir, "masks")).Length);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void SameSeed_WritesIdenticalBytes_DifferentSeed_Differs()
    {
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b"), c = Path.Combine(_root, "c");
        Assert.Equal(0, Run("--out", a, "--count", "6", "--seed", "8", "--threads", "1").Code);
        Assert.Equal(0, Run("--out", b, "--count", "6", "--seed", "8", "--threads", "2").Code);
        Assert.Equal(0, Run("--out", c, "--count", "6", "--seed", "9").Code);
        foreach (var file in Directory.GetFiles(a, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(a, file);
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(b, rel)));
        }
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "images", "synth_000000.png")),
            File.ReadAllBytes(Path.Combine(c, "images", "synth_000000.png")));
    }

    [Fact]
    public void ImageI_DoesNotDependOnTheCount()
    {
        string a = Path.Combine(_root, "few"), b = Path.Combine(_root, "more");
        Assert.Equal(0, Run("--out", a, "--count", "3", "--seed", "2").Code);
        Assert.Equal(0, Run("--out", b, "--count", "12", "--seed", "2").Code);
        foreach (string name in new[] { "synth_000000", "synth_000002" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "images", name + ".png")), File.ReadAllBytes(Path.Combine(b, "images", name + ".png")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    public void RejectsNonPositiveCount(string count)
    {
        string dir = Path.Combine(_root, "bad");
        var (code, _, error) = Run("--out", dir, "--count", count);
        Assert.NotEqual(0, code);
        Assert.Contains("--count", error);
        Assert.Contains("positive", error);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void RejectsAnOutputThatIsAFile()
    {
        string file = Path.Combine(_root, "taken.txt");
        File.WriteAllText(file, "x");
        var (code, _, error) = Run("--out", file, "--count", "2");
        Assert.NotEqual(0, code);
        Assert.Contains("taken.txt", error);
        Assert.Contains("is a file", error);
    }

    [Fact]
    public void RejectsAnOutputInsideAFile()
    {
        string file = Path.Combine(_root, "taken.txt");
        File.WriteAllText(file, "x");
        var (code, _, error) = Run("--out", Path.Combine(file, "sub", "dir"), "--count", "2");
        Assert.NotEqual(0, code);
        Assert.Contains("taken.txt", error);
        Assert.Contains("not a directory", error);
    }

    [Fact]
    public void AnInterruptedWrite_LeavesNoHalfWrittenFolder()
    {
        string parent = Directory.CreateDirectory(Path.Combine(_root, "interrupted")).FullName;
        string target = Path.Combine(parent, "bench");
        using var cancel = new CancellationTokenSource();
        int written = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticFolderWriter.Write(new SyntheticBenchmark(), target, 500,
            maxDegreeOfParallelism: 1, imageWritten: _ => { if (Interlocked.Increment(ref written) == 3) cancel.Cancel(); },
            cancellationToken: cancel.Token));
        Assert.True(written >= 3);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent)); // neither the target nor a hidden partial folder

        // Finished, it is in place and nothing else is left beside it.
        SyntheticFolderWriter.Write(new SyntheticBenchmark(), target, 3);
        Assert.Equal([target], Directory.EnumerateFileSystemEntries(parent));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(target, "labels.csv")).Length);
    }

    [Fact]
    public void WriterReportsAnUncreatableDirectory_NamingIt()
    {
        // The command's parse-time check is bypassed here: the library itself must fail clearly too.
        string file = Path.Combine(_root, "blocker");
        File.WriteAllText(file, "x");
        string target = Path.Combine(file, "out");
        var e = Assert.Throws<IOException>(() => SyntheticFolderWriter.Write(new SyntheticBenchmark(), target, 2));
        Assert.Contains(target, e.Message);
    }

    [Theory]
    [InlineData("--size", "16")]
    [InlineData("--size", "4096")]
    [InlineData("--threads", "0")]
    public void RejectsOutOfRangeOptions(string option, string value)
    {
        var (code, _, error) = Run("--out", Path.Combine(_root, "x"), "--count", "2", option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(option, error);
    }

    [Fact]
    public void RequiresOutAndCount()
    {
        var (code, _, error) = Run("--count", "2");
        Assert.NotEqual(0, code);
        Assert.Contains("--out", error);
        (code, _, error) = Run("--out", Path.Combine(_root, "y"));
        Assert.NotEqual(0, code);
        Assert.Contains("--count", error);
    }
}
