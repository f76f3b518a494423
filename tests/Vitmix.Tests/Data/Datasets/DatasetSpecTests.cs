using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

public class DatasetSpecTests
{
    static SegmentationSample Sample(string name, int? label) => new()
    {
        Name = name,
        ClassLabel = label,
        LoadImage = () => throw new InvalidOperationException("not loaded in these tests"),
        LoadMasks = () => throw new InvalidOperationException("not loaded in these tests"),
    };

    sealed class ListDataset(IReadOnlyList<string>? names, params SegmentationSample[] samples) : ISegmentationDataset
    {
        public string Name => "list";
        public IReadOnlyList<string>? ClassNames => names;
        public IEnumerable<SegmentationSample> Samples() => samples;
    }

    [Fact]
    public void UnknownKindListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetSpec.Open("coco:/data"));
        Assert.Contains("coco", e.Message);
        Assert.Contains("imagenet-seg", e.Message);
        Assert.Throws<ArgumentException>(() => DatasetSpec.Open("/just/a/path"));
    }

    [Fact]
    public void OpensEachKind()
    {
        using var tmp = new TempDir();
        tmp.Dir("images"); tmp.Dir("masks");
        FixtureImages.WriteBmp24(tmp.Combine("images", "a.bmp"), FixtureImages.Pattern(2, 2, 1), 2, 2);
        FixtureImages.WriteIndexedPng(tmp.Combine("masks", "a.png"), [0, 1, 1, 0], 2, 2, palette: false);
        FixtureImages.WriteBmp24(tmp.Combine("images", "b.bmp"), FixtureImages.Pattern(2, 2, 1), 2, 2);
        FixtureImages.WriteIndexedPng(tmp.Combine("masks", "b.png"), [0, 1, 1, 0], 2, 2, palette: false);
        File.WriteAllText(tmp.Combine("labels.csv"), "a,3\nb,4\n");
        Assert.IsType<FolderDataset>(DatasetSpec.Open("folder:" + tmp.Path));
        var filtered = DatasetSpec.Open("folder:" + tmp.Path, new DatasetOptions(Classes: ["4"]));
        Assert.Equal(["b"], filtered.Samples().Select(s => s.Name));

        Assert.Throws<DirectoryNotFoundException>(() => DatasetSpec.Open("voc:" + tmp.Combine("nope")));
        Assert.Throws<DirectoryNotFoundException>(() => DatasetSpec.Open("PH2:" + tmp.Path)); // kind is case-insensitive
        Assert.Throws<FileNotFoundException>(() => DatasetSpec.Open("imagenet-seg:" + tmp.Combine("gtsegs_ijcv.mat")));
    }

    [Fact]
    public void ClassFilterThenFirstN()
    {
        var ds = new ListDataset(["bg", "cat", "dog"], Sample("a", 1), Sample("b", 2), Sample("c", null), Sample("d", 1), Sample("e", 1));
        Assert.Equal(["a", "d"], new FilteredDataset(ds, first: 2, classes: [1]).Samples().Select(s => s.Name));
        Assert.Equal(["a", "b", "c"], new FilteredDataset(ds, first: 3).Samples().Select(s => s.Name));
        Assert.Empty(new FilteredDataset(ds, first: 0).Samples());
        Assert.Equal(["b"], new FilteredDataset(ds, classes: [2]).Samples().Select(s => s.Name));
    }

    [Fact]
    public void ResolvesClassTokens()
    {
        string[] names = ["background", "tabby, tabby cat", "dog"];
        Assert.Equal([1, 2, 0], FilteredDataset.ResolveClasses(["tabby cat", "DOG", "0"], names, "x"));
        Assert.Contains("horse", Assert.Throws<ArgumentException>(() => FilteredDataset.ResolveClasses(["horse"], names, "x")).Message);
        Assert.Throws<ArgumentException>(() => FilteredDataset.ResolveClasses(["7"], names, "x"));
        Assert.Throws<ArgumentException>(() => FilteredDataset.ResolveClasses(["cat"], null, "x"));
        Assert.Equal([7], FilteredDataset.ResolveClasses(["7"], null, "x"));
    }

    [Fact]
    public void LazyClassLabelIsComputedOnceOnDemand()
    {
        int calls = 0;
        var s = new SegmentationSample
        {
            Name = "n",
            LoadClassLabel = () => { calls++; return 5; },
            LoadImage = () => throw new InvalidOperationException(),
            LoadMasks = () => throw new InvalidOperationException(),
        };
        Assert.Equal(0, calls);
        Assert.Equal(5, s.ClassLabel);
        Assert.Equal(5, s.ClassLabel);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void ALeadingTildeIsTheHomeFolder()
    {
        // "voc:~/data" reaches the program unexpanded: the shell expands "~" only at the start of a word.
        Assert.Equal("/home/u/data", Vitmix.IO.UserPath.ExpandHome("~/data", "/home/u"));
        Assert.Equal("/home/u", Vitmix.IO.UserPath.ExpandHome("~", "/home/u"));
        Assert.Equal("a/~/b", Vitmix.IO.UserPath.ExpandHome("a/~/b", "/home/u"));
        Assert.Equal("~user/x", Vitmix.IO.UserPath.ExpandHome("~user/x", "/home/u"));

        using var tmp = new TempDir();
        FolderDatasetTests.MakeFolder(tmp, null);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var ds = DatasetSpec.Open("folder:~/" + Path.GetRelativePath(home, tmp.Path));
        Assert.Equal(3, ds.Samples().Count());
    }
}
