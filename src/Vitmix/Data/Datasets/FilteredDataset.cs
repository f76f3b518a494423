namespace Vitmix.Data.Datasets;

/// <summary>
/// Restricts a dataset: first to images whose <see cref="SegmentationSample.ClassLabel"/> is in a class list, then to
/// the first N of those (in the dataset's stable order). Samples without a label never match a class list.
/// </summary>
public sealed class FilteredDataset : ISegmentationDataset
{
    readonly ISegmentationDataset _inner;
    readonly int? _first;
    readonly HashSet<int>? _classes;

    /// <param name="inner">The dataset to filter.</param>
    /// <param name="first">Keep at most this many images (after the class filter); null = all.</param>
    /// <param name="classes">Keep images labelled with one of these classes; null or empty = any.</param>
    public FilteredDataset(ISegmentationDataset inner, int? first = null, IEnumerable<int>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (first < 0) throw new ArgumentOutOfRangeException(nameof(first), first, "The image limit must be ≥ 0.");
        _inner = inner;
        _first = first;
        var set = classes?.ToHashSet();
        _classes = set is { Count: > 0 } ? set : null;
    }

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => _inner.ClassNames;

    /// <inheritdoc/>
    public bool HasMasks => _inner.HasMasks;

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        if (_first == 0) yield break;
        int kept = 0;
        foreach (var sample in _inner.Samples())
        {
            if (_classes is not null && !(sample.ClassLabel is int label && _classes.Contains(label))) continue;
            yield return sample;
            if (++kept == _first) yield break;
        }
    }

    /// <summary>
    /// Resolves class tokens (an integer index, or a name among <paramref name="classNames"/>, case-insensitive,
    /// also matching a comma-separated synonym) to indices.
    /// </summary>
    public static IReadOnlyList<int> ResolveClasses(IEnumerable<string> tokens, IReadOnlyList<string>? classNames, string datasetName)
    {
        var result = new List<int>();
        foreach (string raw in tokens)
        {
            string token = raw.Trim();
            if (token.Length == 0) continue;
            if (int.TryParse(token, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int index))
            {
                if (index < 0 || (classNames is not null && index >= classNames.Count))
                    throw new ArgumentException($"Class index {index} is out of range for dataset '{datasetName}' ({classNames?.Count ?? 0} classes).");
                result.Add(index);
                continue;
            }
            if (classNames is null)
                throw new ArgumentException($"Class '{token}' given by name, but dataset '{datasetName}' has no class names; use an index.");
            int found = IndexOf(classNames, token);
            if (found < 0)
                throw new ArgumentException(
                    $"Class '{token}' is not a class of dataset '{datasetName}'; known: {string.Join(", ", classNames.Take(30))}{(classNames.Count > 30 ? ", …" : "")}.");
            result.Add(found);
        }
        return result;
    }

    static int IndexOf(IReadOnlyList<string> names, string token)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], token, StringComparison.OrdinalIgnoreCase)) return i;
        for (int i = 0; i < names.Count; i++)
            foreach (string synonym in names[i].Split(','))
                if (string.Equals(synonym.Trim(), token, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
