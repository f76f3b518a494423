using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Vitmix.Model;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Model.Checkpoints;

namespace Vitmix.Tests.Hostile;

/// <summary>Hostile variants of the golden vit32 model folder, and the one assertion every refusal must pass.</summary>
public static class HostileFiles
{
    public const string Set = "vit32_p8_d48_l3_h3_c10";
    public static string GoldenConfig => GoldenData.Path(Set, "config.json");
    public static string GoldenWeights => GoldenData.Path(Set, "weights.safetensors");
    public static string InputNpy => GoldenData.Path(Set, "disk", "input.npy");
    public static string InputPng => GoldenData.Path(Set, "images", "disk.png");

    /// <summary>A model folder: the golden weights as model.safetensors and its config.json as <paramref name="edit"/> leaves it.</summary>
    public static string Folder(TempDir tmp, Action<JsonObject>? edit = null, string name = "model")
    {
        string dir = Directory.CreateDirectory(tmp.File(name)).FullName;
        File.Copy(GoldenWeights, Path.Combine(dir, "model.safetensors"));
        var config = JsonNode.Parse(File.ReadAllText(GoldenConfig))!.AsObject();
        edit?.Invoke(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return dir;
    }

    /// <summary>A model folder whose config.json is <paramref name="configText"/> verbatim (for what JSON writers cannot produce).</summary>
    public static string FolderWithConfigText(TempDir tmp, string configText)
    {
        string dir = Directory.CreateDirectory(tmp.File("model")).FullName;
        File.Copy(GoldenWeights, Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), configText);
        return dir;
    }

    /// <summary>A model folder with the golden config and the golden weights changed by <paramref name="edit"/>.</summary>
    public static string FolderWithWeights(TempDir tmp, Action<Dictionary<string, (int[] Shape, float[] Data)>> edit)
    {
        string dir = Directory.CreateDirectory(tmp.File("model")).FullName;
        var state = CheckpointTestFiles.ReadF32(GoldenWeights);
        edit(state);
        CheckpointTestFiles.WriteState(Path.Combine(dir, "model.safetensors"), state);
        File.Copy(GoldenConfig, Path.Combine(dir, "config.json"));
        return dir;
    }

    /// <summary>
    /// The 1 MB checkpoint whose tokens overflow: patch 1 at 256 pixels is 65,536 patches plus the class token, so one
    /// head's N² attention scores (4,295,098,369) no longer fit an int; width 4, one block, one head.
    /// </summary>
    public static string PatchOneCheckpoint(TempDir tmp)
    {
        var config = new VitConfig
        {
            ImageHeight = 256, ImageWidth = 256, PatchSize = 1, EmbedDim = 4, Depth = 1, NumHeads = 1, MlpHidden = 16, NumClasses = 3,
        };
        string path = tmp.File("patch1.safetensors");
        var meta = new Dictionary<string, string>
        {
            ["config"] = """{"img_size":256,"patch_size":1,"embed_dim":4,"depth":1,"num_heads":1,"mlp_hidden":16,"num_classes":3}""",
        };
        CheckpointTestFiles.WriteState(path, CheckpointTestFiles.RandomState(config, seed: 5), meta);
        return path;
    }

    /// <summary>The start of a pickle as torch.save's legacy format writes it: PROTO 2, then the magic number (LONG1).</summary>
    public static byte[] PickleBytes()
    {
        var bytes = new byte[256];
        byte[] start = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E];
        start.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>The start of a zip archive (a local file header, "archive/data.pkl") as torch.save writes since PyTorch 1.6.</summary>
    public static byte[] ZipBytes()
    {
        var bytes = new byte[256];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x04034B50);
        bytes[4] = 0x14; // version needed to extract: 2.0
        "archive/data.pkl"u8.CopyTo(bytes.AsSpan(30));
        return bytes;
    }

    /// <summary>
    /// Exit code 1; one line "vitmix: error: ..." naming <paramref name="names"/> and <paramref name="problem"/>; no .NET
    /// exception type and no stack trace; nothing on stdout; and, when given, <paramref name="outDir"/> never created.
    /// </summary>
    public static void AssertRefused(CliRunner.Result r, string names, string problem, string? outDir = null)
    {
        HostileFixtures.AssertOneErrorLine(r, names, problem);
        Assert.Equal("", r.Out);
        if (outDir != null) Assert.False(Directory.Exists(outDir), $"{outDir} was written");
    }
}
