namespace Vitmix.Model.Checkpoints;

/// <summary>
/// A timm hub config.json (timm _hub.py save_config_for_hf): architecture, num_classes, optional global_pool,
/// label_names, model_args and pretrained_cfg; legacy configs carry the pretrained_cfg fields at top level.
/// Yields, in priority order: model_args, the rest of the file, then the architecture table entry.
/// </summary>
internal static class TimmHubConfig
{
    public static bool Looks(JsonFields f) =>
        f.Has("architecture") || f.Has("pretrained_cfg") || f.Has("model_args") || f.Has("num_features");

    /// <summary>The partial configs of one file; <paramref name="architecture"/> is the name it gives, or null.</summary>
    public static List<PartialConfig> Read(JsonFields f, string fileName, out string? architecture)
    {
        var sources = new List<PartialConfig>();
        if (f.Child("model_args") is { } args)
        {
            var modelArgs = new PartialConfig { Origin = $"{fileName} model_args" };
            TimmArgs.ReadModelArgs(args, modelArgs);
            sources.Add(modelArgs);
        }

        var main = new PartialConfig { Origin = fileName };
        TimmArgs.ReadPreprocessing(f.Child("pretrained_cfg") ?? f, main);
        main.NumClasses = f.Int("num_classes");
        if (f.String("global_pool") is { Length: > 0 } pool) main.Pool = TimmArgs.ParsePool(pool, f);
        main.ClassNames = LabelNames(f);
        sources.Add(main);

        architecture = f.String("architecture");
        // the pretrained tag names the family too ("vit_base_patch16_224" + "mae")
        main.Family = ModelFamily.FromArchitecture(architecture is { } a && f.Child("pretrained_cfg")?.String("tag") is { } tag ? $"{a}.{tag}" : architecture);
        if (architecture != null && ArchitectureTable.Find(architecture) is { } info)
            sources.Add(ArchitectureTable.ToPartial(info, $"architecture {info.Name}"));
        return sources;
    }

    /// <summary>label_names as a list, or as {"0": name, ...} / {0: name}.</summary>
    static string[]? LabelNames(JsonFields f)
    {
        if (f.Get("label_names") is not { } v) return null;
        if (v.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            if (v.EnumerateArray().Any(e => e.ValueKind != System.Text.Json.JsonValueKind.String)) throw f.Bad("label_names", v, "a list of strings");
            return v.EnumerateArray().Select(e => e.GetString()!).ToArray();
        }
        if (v.ValueKind == System.Text.Json.JsonValueKind.Object) return IndexedNames.FromObject(new JsonFields(v, $"{f.Where}.label_names"));
        throw f.Bad("label_names", v, "a list or an {id: name} object");
    }
}
