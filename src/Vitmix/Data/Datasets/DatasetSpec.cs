using Vitmix.IO;
namespace Vitmix.Data.Datasets;

/// <summary>Options applied when opening a dataset from a spec.</summary>
/// <param name="First">Keep only the first N images (after the class filter).</param>
/// <param name="Classes">Keep images whose label is one of these (indices or names of the dataset's classes).</param>
/// <param name="VocSplit">VOC split file name (ImageSets/Segmentation/{split}.txt).</param>
/// <param name="LabelNames">Class names that a folder dataset's labels.csv names refer to (e.g. the model's labels).</param>
public sealed record DatasetOptions(
    int? First = null,
    IReadOnlyList<string>? Classes = null,
    string VocSplit = "val",
    IReadOnlyList<string>? LabelNames = null);

/// <summary>
/// Opens a dataset from a "kind:location" spec: <c>voc:DIR</c>, <c>ph2:DIR</c>, <c>imagenet-seg:FILE</c>,
/// <c>folder:DIR</c>, <c>imagefolder:DIR</c> (torchvision's classification layout, training only),
/// <c>synth:COUNT[:SEED[:SIZE[:FIRST]]]</c>.
/// </summary>
public static class DatasetSpec
{
    /// <summary>The recognised kinds.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["voc", "ph2", "imagenet-seg", "folder", "imagefolder", "synth"];

    /// <summary>Opens the dataset named by <paramref name="spec"/> and applies the filters of <paramref name="options"/>.</summary>
    public static ISegmentationDataset Open(string spec, DatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new DatasetOptions();
        int colon = spec.IndexOf(':');
        if (colon <= 0 || colon == spec.Length - 1)
            throw new ArgumentException($"Dataset spec '{spec}' must be KIND:PATH with KIND one of {string.Join(", ", Kinds)}.", nameof(spec));
        string kind = spec[..colon].Trim().ToLowerInvariant();
        string location = kind == "synth" ? spec[(colon + 1)..] : UserPath.ExpandHome(spec[(colon + 1)..]);
        ISegmentationDataset dataset = kind switch
        {
            "voc" => new VocDataset(location, options.VocSplit),
            "ph2" => new Ph2Dataset(location),
            "imagenet-seg" => new ImageNetSegmentationDataset(location),
            "folder" => new FolderDataset(location, options.LabelNames),
            "imagefolder" => new ImageFolderDataset(location),
            "synth" => Synthetic(location, spec),
            _ => throw new ArgumentException(
                $"Unknown dataset kind '{kind}' in spec '{spec}'; expected one of {string.Join(", ", Kinds)}.", nameof(spec)),
        };
        if (options.First is null && options.Classes is not { Count: > 0 }) return dataset;
        var classes = options.Classes is { Count: > 0 }
            ? FilteredDataset.ResolveClasses(options.Classes, dataset.ClassNames, dataset.Name)
            : null;
        return new FilteredDataset(dataset, options.First, classes);
    }

    /// <summary>"COUNT[:SEED[:SIZE[:FIRST]]]": the synthetic shape benchmark streamed without files.</summary>
    static ISegmentationDataset Synthetic(string location, string spec)
    {
        var parts = location.Split(':');
        long Part(int i, long fallback) => i >= parts.Length ? fallback
            : long.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v
            : throw new ArgumentException($"Dataset spec '{spec}': '{parts[i]}' is not a non-negative integer (synth:COUNT[:SEED[:SIZE[:FIRST]]])", nameof(spec));
        long count = Part(0, 0);
        if (count <= 0 || parts.Length > 4) throw new ArgumentException($"Dataset spec '{spec}' must be synth:COUNT[:SEED[:SIZE[:FIRST]]] with COUNT > 0", nameof(spec));
        var benchmark = new Vitmix.Data.Synthetic.SyntheticBenchmark((int)Part(2, Vitmix.Data.Synthetic.SyntheticBenchmark.DefaultSize), Part(1, 0));
        return new Vitmix.Data.Synthetic.SyntheticDataset(benchmark, count, Part(3, 0));
    }
}
