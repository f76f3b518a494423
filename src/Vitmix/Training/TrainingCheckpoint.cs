using Vitmix.IO;
using System.Text.Json;
using Vitmix.Data;
using Vitmix.Model;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Training;

/// <summary>
/// What a training run leaves in its output folder after every epoch: the best model (<c>model.safetensors</c> +
/// <c>config.json</c>), the last model and optimizer state (<c>last.safetensors</c>, <c>optimizer.safetensors</c>)
/// and <c>training_state.json</c>, each written atomically so a killed run resumes from its last finished epoch.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>
    /// Writes the end of an epoch into <paramref name="dir"/>: the last weights and optimizer state, the best model too
    /// when <paramref name="best"/>, then <paramref name="state"/>, written last because its file marks the epoch complete.
    /// </summary>
    public static void Save(string dir, VisionTransformer model, Preprocessing pre, IReadOnlyList<string> classNames,
        AdamW optimizer, TrainingState state, bool best)
    {
        SafeTensorsWriter.WriteModel(Path.Combine(dir, "last.safetensors"), model);
        var shapes = model.Weights.Named().ToDictionary(p => p.Name, p => p.Data.Length);
        var moments = optimizer.State.SelectMany(kv => new[]
        {
            new SafeTensorEntry("m." + kv.Key, [kv.Value.M.Length], kv.Value.M),
            new SafeTensorEntry("v." + kv.Key, [kv.Value.V.Length], kv.Value.V),
        });
        SafeTensorsWriter.Write(Path.Combine(dir, "optimizer.safetensors"), moments,
            new Dictionary<string, string> { ["step"] = optimizer.Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (best) ModelSaver.Save(dir, model, pre, classNames);
        // The state file is written last: it is what marks the epoch as complete.
        AtomicFile.WriteAllText(Path.Combine(dir, "training_state.json"), JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Restores the last epoch's weights and optimizer into <paramref name="model"/> and <paramref name="optimizer"/>.</summary>
    public static bool TryRestore(string dir, VisionTransformer model, AdamW optimizer, out TrainingState state)
    {
        state = null!;
        string statePath = Path.Combine(dir, "training_state.json");
        if (!File.Exists(statePath)) return false;
        state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(statePath))
            ?? throw new InvalidDataException($"{statePath}: empty training state");
        var last = ModelLoader.Load(Path.Combine(dir, "last.safetensors")).Network;
        if (last.Config != model.Config)
            throw new InvalidDataException($"{Path.Combine(dir, "last.safetensors")}: the checkpoint is {last.Config}, the run trains {model.Config}");
        var src = last.Weights.Named().ToDictionary(p => p.Name, p => p.Data);
        foreach (var (name, data) in model.Weights.Named()) src[name].CopyTo(data, 0);
        using var opt = SafeTensorsFile.Open(Path.Combine(dir, "optimizer.safetensors"));
        optimizer.Step = long.Parse(opt.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, data) in model.Weights.Named())
        {
            if (!opt.Contains("m." + name)) continue;
            optimizer.Restore(name, opt.ReadFloats("m." + name), opt.ReadFloats("v." + name));
        }
        return true;
    }
}
