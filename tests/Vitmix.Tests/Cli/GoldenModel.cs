using System.Buffers.Binary;
using System.Text.Json;
using Vitmix.Model;

namespace Vitmix.Tests.Cli;

/// <summary>
/// The golden vit32 checkpoint (weights.safetensors with config.json beside it) for CLI tests that need a model.
/// Tests skip only while ModelLoader is still the NotImplementedException stub.
/// </summary>
public static class GoldenModel
{
    public static string Set => GoldenData.Path("vit32_p8_d48_l3_h3_c10");
    public static string Weights => Path.Combine(Set, "weights.safetensors");

    /// <summary>Skips the calling [SkippableFact] when ModelLoader is not written yet.</summary>
    public static void SkipUnlessLoaderExists()
    {
        try { ModelLoader.Load(Weights); }
        catch (NotImplementedException) { Skip.If(true, "ModelLoader.Load is still a stub"); }
    }

    /// <summary>Total element count of every tensor in a safetensors header, read without the loader.</summary>
    public static long ParameterCount(string path)
    {
        using var fs = File.OpenRead(path);
        var len = new byte[8];
        fs.ReadExactly(len);
        var header = new byte[BinaryPrimitives.ReadInt64LittleEndian(len)];
        fs.ReadExactly(header);
        using var doc = JsonDocument.Parse(header);
        long total = 0;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            long n = 1;
            foreach (var d in p.Value.GetProperty("shape").EnumerateArray()) n *= d.GetInt64();
            total += n;
        }
        return total;
    }
}
