using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;
using static Vitmix.Tests.Hostile.HostileImages;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Hostile .npy inputs through `vitmix predict`: the header is validated (shape product overflow-checked, dtype,
/// byte order, C order, data length) before any value is converted; each is one line naming the file.
/// </summary>
public class HostileNpyTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    /// <summary>Float data for the golden model's (1, 3, 32, 32) input.</summary>
    static readonly byte[] Floats = new byte[3 * 32 * 32 * 4];

    public static TheoryData<string, string, string> Cases => new()
    {
        // name, header dict, expected problem
        { "overflowing-shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", "more than 2147483647" },
        { "product-overflows-long", "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", "elements, the limit" },
        { "wrong-dtype", "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }", "dtype is <i4; expected float32" },
        { "unsupported-dtype", "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 3, 32, 32), }", "unsupported dtype '<c8'" },
        { "big-endian", "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }", "big-endian" },
        { "fortran-order", "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 32, 32), }", "Fortran-order arrays are not supported" },
        { "data-shorter-than-shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64), }", "truncated" },
        { "wrong-shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64, 16), }", "does not match the model input" },
        { "negative-dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, -32, 32), }", "bad shape entry" },
        { "no-fortran-key", "{'descr': '<f4', 'shape': (1, 3, 32, 32), }", "malformed .npy header" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void HostileNpyInputsAreOneLineNamingTheFile(string name, string dict, string problem)
    {
        string path = tmp.Combine(name + ".npy");
        File.WriteAllBytes(path, Npy(dict, Floats));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = CliRunner.Run("predict", path, "--model", ModelPath);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20);
        AssertOneLineError(r, path, problem);
    }

    [Fact]
    public void AHeaderLengthPastTheEndAndAMissingMagicAreOneLineEach()
    {
        string past = tmp.Combine("past.npy");
        byte[] bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }", []);
        bytes[8] = 0xFF; bytes[9] = 0xFF;
        File.WriteAllBytes(past, bytes);
        AssertOneLineError(CliRunner.Run("predict", past, "--model", ModelPath), past, "runs past the end of the file");

        string noMagic = tmp.Combine("text.npy");
        File.WriteAllText(noMagic, "1,2,3\n");
        AssertOneLineError(CliRunner.Run("predict", noMagic, "--model", ModelPath), noMagic, "not a NumPy .npy file");
    }

    [Fact]
    public void AValidArrayInTheSameFormIsPredicted()
    {
        // The control: the same writer with a well-formed header gives a working input, so the cases above fail for
        // what they change, not for how the file is written.
        string path = tmp.Combine("good.npy");
        File.WriteAllBytes(path, Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }", Floats));
        var r = CliRunner.Run("predict", path, "--model", ModelPath);
        Assert.True(r.ExitCode == 0, r.Err);
    }
}
