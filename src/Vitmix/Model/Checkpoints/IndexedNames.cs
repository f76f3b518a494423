using System.Globalization;
using System.Text.Json;

namespace Vitmix.Model.Checkpoints;

/// <summary>Class names given as {"0": "tench", "1": ...} (string keys, as JSON requires); ids must be exactly 0..N-1.</summary>
internal static class IndexedNames
{
    public static string[] FromObject(JsonFields f)
    {
        var byId = new Dictionary<int, string>();
        foreach (var p in f.Object.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                throw f.Error($"label id '{p.Name}' is not a non-negative integer");
            if (p.Value.ValueKind != JsonValueKind.String) throw f.Bad(p.Name, p.Value, "a string");
            if (!byId.TryAdd(id, p.Value.GetString()!)) throw f.Error($"label id {id} is given twice");
        }
        var names = new string[byId.Count];
        foreach (var (id, name) in byId)
        {
            if (id >= names.Length) throw f.Error($"label ids must be 0..{names.Length - 1}, found {id}");
            names[id] = name;
        }
        return names;
    }
}
