using System.Security.Cryptography;
using Vitmix.IO;
using Vitmix.Model;

namespace Vitmix.Cli;

/// <summary>
/// The small ViT shipped inside the tool (trained by Vitmix on its synthetic shape benchmark; models/README.md is its
/// model card). It is an embedded resource, extracted once to a cache folder keyed by its hash and loaded from there.
/// </summary>
static class DefaultModel
{
    const string WeightsResource = "Vitmix.Cli.DefaultModel.model.safetensors";
    const string ConfigResource = "Vitmix.Cli.DefaultModel.config.json";

    public static bool IsAvailable => typeof(DefaultModel).Assembly.GetManifestResourceInfo(WeightsResource) != null;

    /// <summary>The folder holding the extracted model.safetensors and config.json, under <see cref="CacheRoot"/>.</summary>
    public static string Folder() => Folder(CacheRoot());

    /// <summary>Where extracted copies live: $VITMIX_CACHE, else $XDG_CACHE_HOME/vitmix, else ~/.cache/vitmix.</summary>
    public static string CacheRoot() =>
        Environment.GetEnvironmentVariable("VITMIX_CACHE") is { Length: > 0 } root ? root
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "vitmix");

    /// <summary>
    /// The folder under <paramref name="root"/> (keyed by the model's hash) holding the extracted files. Each copy is
    /// verified against the embedded bytes on every call and re-extracted atomically when it differs, so a truncated
    /// or corrupted copy repairs itself instead of breaking every command.
    /// </summary>
    public static string Folder(string root)
    {
        var asm = typeof(DefaultModel).Assembly;
        using var weights = asm.GetManifestResourceStream(WeightsResource)
            ?? throw new InvalidDataException("this vitmix build has no embedded default model; pass --model PATH");
        using var config = asm.GetManifestResourceStream(ConfigResource)
            ?? throw new InvalidDataException("this vitmix build has no embedded default model config; pass --model PATH");
        var wBytes = ReadAll(weights);
        var cBytes = ReadAll(config);
        string hash = Convert.ToHexString(SHA256.HashData([.. wBytes, .. cBytes]))[..16].ToLowerInvariant();
        string dir = Path.Combine(root, "default-model-" + hash);
        VerifiedCopy.Ensure(Path.Combine(dir, "config.json"), cBytes);
        VerifiedCopy.Ensure(Path.Combine(dir, "model.safetensors"), wBytes);
        return dir;
    }

    public static LoadedModel Load(ModelOverrides? overrides = null) => ModelLoader.Load(Folder(), overrides);

    static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
