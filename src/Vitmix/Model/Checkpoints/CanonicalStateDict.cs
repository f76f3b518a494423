using Vitmix.Engine;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// The tensors of a safetensors file seen under timm names through a <see cref="KeyLayout"/>, before any data is
/// read: shapes for config inference, then one validation against a config (all problems in one message, in the
/// file's own key names), then a read where stacked parts land directly in their slice of one float array.
/// </summary>
internal sealed class CanonicalStateDict
{
    readonly SafeTensorsFile file;
    readonly Dictionary<string, SafeTensorInfo?[]> parts = new(StringComparer.Ordinal);
    readonly List<string> unknown = [];

    public KeyLayout Layout { get; }

    CanonicalStateDict(SafeTensorsFile file, KeyLayout layout)
    {
        this.file = file;
        Layout = layout;
    }

    /// <summary>Maps every tensor of <paramref name="file"/>; two source keys for one slot is an error.</summary>
    public static CanonicalStateDict Map(SafeTensorsFile file, KeyLayout layout)
    {
        var dict = new CanonicalStateDict(file, layout);
        foreach (var t in file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (layout.IsIgnored(t.Name)) continue;
            var slot = layout.ToCanonical(t.Name);
            if (slot is not { } s) { dict.unknown.Add(t.Name); continue; }
            if (!dict.parts.TryGetValue(s.Name, out var arr)) dict.parts[s.Name] = arr = new SafeTensorInfo?[s.Parts];
            if (arr[s.Part] is { } other)
                throw new InvalidDataException($"{file.Path}: keys '{other.Name}' and '{t.Name}' both hold {s.Name}");
            arr[s.Part] = t;
        }
        return dict;
    }

    /// <summary>timm names present (at least one part).</summary>
    public IEnumerable<string> Names => parts.Keys;

    public bool Has(string canonical) => parts.ContainsKey(canonical);

    /// <summary>The stacked shape of a timm tensor, or null when a part is missing or the parts disagree.</summary>
    public long[]? Shape(string canonical)
    {
        if (!parts.TryGetValue(canonical, out var arr) || arr.Any(p => p == null)) return null;
        var first = arr[0]!.Shape;
        if (arr.Length == 1) return first;
        if (first.Length == 0) return null;
        long rows = 0;
        foreach (var p in arr)
        {
            if (p!.Shape.Length != first.Length || !p.Shape.AsSpan(1).SequenceEqual(first.AsSpan(1))) return null;
            rows = checked(rows + p.Shape[0]); // each part fits the file, so their sum fits a long
        }
        var shape = (long[])first.Clone();
        shape[0] = rows;
        return shape;
    }

    /// <summary>Source key naming a timm tensor in messages (the parts joined when stacked).</summary>
    public string SourceName(string canonical) =>
        parts.TryGetValue(canonical, out var arr) && arr.All(p => p != null)
            ? string.Join(" + ", arr.Select(p => p!.Name))
            : string.Join(" + ", Layout.FromCanonical(canonical));

    /// <summary>
    /// Checks the file against the tensors <paramref name="config"/> needs and throws one error listing every missing
    /// key, unexpected key, shape mismatch and non-float dtype, named as in the file.
    /// </summary>
    public void Validate(VitConfig config, string configSource)
    {
        // Blocks the file does not have are counted, not listed: a hostile depth of a million would otherwise build
        // fourteen million names only to report them missing. The blocks it has are checked as usual.
        int fileDepth = BlockCount();
        var missing = new List<string>();
        if (config.Depth > fileDepth)
            missing.Add($"{config.Depth - fileDepth} blocks (the config has {config.Depth}, the file {(fileDepth == 0 ? "none" : $"blocks 0 to {fileDepth - 1}")})");
        var mismatched = new List<string>();
        var dtypes = new List<string>();
        var expected = VitWeights.ExpectedShapes(config with { Depth = Math.Min(config.Depth, fileDepth) }).ToList();
        var expectedNames = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            var sources = Layout.FromCanonical(name);
            if (!parts.TryGetValue(name, out var arr)) { missing.AddRange(sources); continue; }
            int n = arr.Length;
            for (int p = 0; p < n; p++)
            {
                if (arr[p] is not { } info) { missing.Add(p < sources.Length ? sources[p] : $"{name} part {p}"); continue; }
                if (!info.Dtype.IsFloatWeight()) dtypes.Add($"{info.Name} is {info.Dtype}");
                // A stacked tensor's parts each hold an equal share of the rows.
                var want = Layout.SourceShape(name, (int[])shape.Clone());
                if (n > 1) want[0] = shape[0] / n;
                if (!info.Shape.SequenceEqual(want.Select(d => (long)d)))
                    mismatched.Add($"{info.Name} is [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", want)}]");
            }
        }
        var unexpected = new List<string>(unknown);
        foreach (var (name, arr) in parts)
            if (!expectedNames.Contains(name)) unexpected.AddRange(arr.Where(p => p != null).Select(p => p!.Name));
        unexpected.Sort(StringComparer.Ordinal);

        if (missing.Count + unexpected.Count + mismatched.Count + dtypes.Count == 0) return;
        var problems = new List<string>();
        if (missing.Count > 0) problems.Add($"missing keys: {Summarise(missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected keys: {Summarise(unexpected)}");
        if (mismatched.Count > 0) problems.Add($"shape mismatches: {Summarise(mismatched)}");
        if (dtypes.Count > 0) problems.Add($"not F32/F16/BF16: {Summarise(dtypes)}");
        throw new InvalidDataException(
            $"{file.Path}: {Layout.Description} checkpoint does not fit {config} (config from {configSource}): {string.Join("; ", problems)}");
    }

    /// <summary>
    /// Reads every tensor <paramref name="config"/> needs as float32, keyed by timm name. Call <see cref="Validate"/>
    /// first. A NaN or infinite weight is an error naming the file's tensor and the element: it would make every
    /// output non-finite without any other sign.
    /// </summary>
    public Dictionary<string, Tensor> Read(VitConfig config)
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in VitWeights.ExpectedShapes(config))
        {
            var arr = parts[name];
            var stored = Layout.SourceShape(name, shape);
            var data = GC.AllocateUninitializedArray<float>(checked((int)Tensor.ElementCount(stored)));
            int offset = 0;
            foreach (var p in arr)
            {
                int count = checked((int)p!.ElementCount);
                var slice = data.AsSpan(offset, count);
                // Checked part by part as it is read, so the error names the file's own key and element.
                int bad = file.ReadFloatsFindingNonFinite(p.Name, slice);
                if (bad >= 0)
                    throw new InvalidDataException(
                        $"{file.Path}: tensor {p.Name} holds {FiniteCheck.Describe(slice[bad])} at element {bad}; only finite weights can give finite outputs");
                offset += count;
            }
            state[name] = new Tensor(data, stored);
        }
        Layout.ToTimm(state);
        return state;
    }

    /// <summary>Blocks in the file: one more than the highest index of a timm "blocks.{i}." name.</summary>
    int BlockCount()
    {
        int depth = 0;
        foreach (var name in parts.Keys)
        {
            if (!name.StartsWith("blocks.", StringComparison.Ordinal)) continue;
            int dot = name.IndexOf('.', 7);
            if (dot > 7 && int.TryParse(name.AsSpan(7, dot - 7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) && i < int.MaxValue)
                depth = Math.Max(depth, i + 1);
        }
        return depth;
    }

    static string Summarise(List<string> items) =>
        items.Count <= 12 ? string.Join(", ", items) : string.Join(", ", items.Take(12)) + $" and {items.Count - 12} more";
}
