using Vitmix.IO;
using System.Globalization;
using System.Text.Json;
using Vitmix.Data;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Model;

/// <summary>
/// Saves a model the way timm's <c>save_for_hf</c> does: <c>model.safetensors</c> with timm key names and a
/// hub-style <c>config.json</c> (architecture, num_classes, num_features, global_pool, label_names, model_args,
/// pretrained_cfg), so any tool that reads timm checkpoints reads ours.
/// </summary>
public static class ModelSaver
{
    /// <summary>
    /// Writes <paramref name="weightsFile"/> and config.json into <paramref name="directory"/> (created when missing),
    /// each atomically, replacing what is there. <paramref name="classNames"/> become label_names; null writes none.
    /// </summary>
    public static void Save(string directory, VisionTransformer model, Preprocessing preprocessing, IReadOnlyList<string>? classNames,
        string weightsFile = "model.safetensors")
    {
        Directory.CreateDirectory(directory);
        SafeTensorsWriter.WriteModel(Path.Combine(directory, weightsFile), model);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson(model.Config, preprocessing, classNames));
    }

    /// <summary>The hub-style config.json text (indented) for <paramref name="c"/>, <paramref name="p"/> and optional class names.</summary>
    public static string ConfigJson(VitConfig c, Preprocessing p, IReadOnlyList<string>? classNames)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            // the architecture's table entry supplies what model_args cannot say (EVA-02's and BEiT's q and v biases)
            w.WriteString("architecture", c.RotaryPositionEmbedding ? "eva02_tiny_patch14_224"
                : c.RelativePositionBias || c.SharedRelativePositionBias ? "beit_base_patch16_224"
                : c.Distilled ? "deit_tiny_distilled_patch16_224" : "vit_tiny_patch16_224");
            w.WriteNumber("num_classes", c.NumClasses);
            w.WriteNumber("num_features", c.EmbedDim);
            w.WriteString("global_pool", c.Pool switch { GlobalPool.Token => "token", GlobalPool.Average => "avg", _ => "token+avg" });
            if (classNames != null)
            {
                w.WriteStartArray("label_names");
                foreach (var n in classNames) w.WriteStringValue(n);
                w.WriteEndArray();
            }
            w.WriteStartObject("model_args");
            TimmArgs.Write(w, c);
            w.WriteEndObject();
            w.WriteStartObject("pretrained_cfg");
            w.WriteStartArray("input_size");
            w.WriteNumberValue(c.InChannels); w.WriteNumberValue(p.InputHeight); w.WriteNumberValue(p.InputWidth);
            w.WriteEndArray();
            w.WriteBoolean("fixed_input_size", true);
            w.WriteString("interpolation", p.Interpolation);
            w.WriteNumber("crop_pct", p.CropPct);
            w.WriteString("crop_mode", "center");
            w.WriteStartArray("mean"); foreach (var v in p.Mean) w.WriteNumberValue(v); w.WriteEndArray();
            w.WriteStartArray("std"); foreach (var v in p.Std) w.WriteNumberValue(v); w.WriteEndArray();
            w.WriteNumber("num_classes", c.NumClasses);
            w.WriteString("first_conv", "patch_embed.proj");
            w.WriteString("classifier", "head");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
