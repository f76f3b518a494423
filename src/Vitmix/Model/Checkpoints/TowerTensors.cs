using Vitmix.Data;
using Vitmix.Engine;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// Reads the image tower of an image-text checkpoint into timm's names, one source key at a time, collecting every
/// missing key, shape or dtype mismatch and key left unread, to report them in one error naming the file's own keys.
/// Values are float32; a NaN or infinite weight is an error naming the key and element.
/// </summary>
internal sealed class TowerTensors(SafeTensorsFile file, string path)
{
    readonly HashSet<string> used = new(StringComparer.Ordinal);
    readonly List<string> missing = [], wrong = [];

    /// <summary>
    /// Checks an image tower's config, and the preprocessing of its checkpoint with the user's overrides applied, before
    /// anything is sized by them: the config's rules, a requested input size that the patch tiles, and the memory a pass
    /// at that size needs. Returns the preprocessing.
    /// </summary>
    public static Preprocessing CheckedSetting(VitConfig config, Preprocessing read, ModelOverrides? overrides, int? requestedSize, MemoryBudget budget, string weightsPath)
    {
        config.Validate();
        var prep = read with { InputHeight = config.ImageHeight, InputWidth = config.ImageWidth };
        if (overrides != null)
            prep = prep with
            {
                Mean = overrides.Mean ?? prep.Mean, Std = overrides.Std ?? prep.Std, Resize = overrides.Resize ?? prep.Resize,
                Interpolation = overrides.Interpolation ?? prep.Interpolation, CropPct = overrides.CropPct ?? prep.CropPct,
            };
        prep.Validate();
        if (requestedSize is int size && (size <= 0 || size % config.PatchSize != 0))
            throw new ArgumentException($"image size {size} is not a positive multiple of the patch size {config.PatchSize}");
        ModelMemory.EnsureFits(requestedSize is int s ? config with { ImageHeight = s, ImageWidth = s } : config, budget, weightsPath);
        return prep;
    }

    /// <summary>The tensors read so far, by timm name.</summary>
    public Dictionary<string, Tensor> State { get; } = new(StringComparer.Ordinal);

    /// <summary>The values of <paramref name="key"/>, which must hold <paramref name="count"/> floats; null (and noted) when it cannot.</summary>
    public float[]? Read(string key, long count)
    {
        if (!file.TryGet(key, out var info)) { missing.Add(key); return null; }
        used.Add(key);
        if (!info.Dtype.IsFloatWeight()) { wrong.Add($"{key} is {info.Dtype}"); return null; }
        if (info.ElementCount != count) { wrong.Add($"{key} is [{string.Join(", ", info.Shape)}], expected {count} values"); return null; }
        var data = new float[count];
        int bad = file.ReadFloatsFindingNonFinite(key, data);
        if (bad >= 0) throw new InvalidDataException($"{path}: tensor {key} holds {FiniteCheck.Describe(data[bad])} at element {bad}; only finite weights can give finite outputs");
        return data;
    }

    /// <summary>Stores <paramref name="data"/> under the timm name (nothing when a read failed).</summary>
    public void Put(string name, float[]? data, params int[] shape)
    {
        if (data != null) State[name] = new Tensor(data, shape);
    }

    /// <summary>Reads <paramref name="key"/> as the timm tensor <paramref name="name"/> of <paramref name="shape"/>.</summary>
    public void Copy(string name, string key, params int[] shape) => Put(name, Read(key, Tensor.ElementCount(shape)), shape);

    /// <summary>Notes a problem that is neither a missing key nor a mismatch of a key read.</summary>
    public void Problem(string problem) => wrong.Add(problem);

    /// <summary>
    /// The state read, or one error listing every problem and every key of the image tower (<paramref name="isTower"/>)
    /// that was not read, which would otherwise be dropped silently.
    /// </summary>
    public Dictionary<string, Tensor> Finish(Func<string, bool> isTower, string what)
    {
        var unexpected = file.Tensors.Select(t => t.Name).Where(k => !used.Contains(k) && isTower(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count + wrong.Count + unexpected.Count == 0) return State;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing keys: {Summarise(missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected keys: {Summarise(unexpected)}");
        if (wrong.Count > 0) parts.Add($"shape or dtype mismatches: {Summarise(wrong)}");
        throw new InvalidDataException($"{path}: {what}: {string.Join("; ", parts)}");
    }

    /// <summary>One tensor of <paramref name="key"/>'s float values read on its own (a scalar such as logit_scale), or null when absent.</summary>
    public float? Scalar(string key)
    {
        if (!file.TryGet(key, out var info)) return null;
        if (info.ElementCount != 1 || !info.Dtype.IsFloatWeight())
            throw new InvalidDataException($"{path}: {key} is {info.Dtype}[{string.Join(", ", info.Shape)}], expected one float");
        used.Add(key);
        return file.ReadFloats(key)[0];
    }

    static string Summarise(List<string> items) =>
        items.Count <= 12 ? string.Join(", ", items) : string.Join(", ", items.Take(12)) + $" and {items.Count - 12} more";
}
