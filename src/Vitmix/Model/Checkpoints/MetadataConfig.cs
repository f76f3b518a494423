using System.Text;
using System.Text.Json;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// The architecture stored in a safetensors header as <c>__metadata__["config"]</c>: a JSON object with timm argument
/// names (img_size, patch_size, embed_dim, depth, num_heads, num_classes, mlp_ratio, qkv_bias, ...).
/// </summary>
internal static class MetadataConfig
{
    public const string Key = "config";

    /// <summary>The partial config in the metadata, or null when the file has no "config" entry.</summary>
    public static PartialConfig? Read(SafeTensorsFile file)
    {
        if (!file.Metadata.TryGetValue(Key, out var json)) return null;
        string where = $"{file.Path}: __metadata__[\"{Key}\"]";
        using var doc = JsonFields.ParseText(Encoding.UTF8.GetBytes(json), where);
        var f = new JsonFields(doc.RootElement, where);
        var partial = new PartialConfig { Origin = "safetensors __metadata__ config" };
        TimmArgs.ReadModelArgs(f, partial);
        TimmArgs.ReadPreprocessing(f, partial);
        return partial;
    }

    /// <summary>The JSON text <see cref="Read"/> understands, for <paramref name="config"/>.</summary>
    public static string ToJson(VitConfig config)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            TimmArgs.Write(w, config);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
