using Vitmix.Model;

namespace Vitmix.Tests.Model;

public class ImageNetClassesTests
{
    [Fact]
    public void Has1000NamesInIlsvrcOrder()
    {
        string[] names = ImageNetClasses.Names;
        Assert.Equal(1000, names.Length);
        Assert.Equal("tench, Tinca tinca", names[0]);
        Assert.Equal("goldfish, Carassius auratus", names[1]);
        Assert.Equal("balloon", names[417]);
        Assert.Equal("cucumber, cuke", names[943]);
        Assert.Equal("toilet tissue, toilet paper, bathroom tissue", names[999]);
    }

    [Fact]
    public void KeepsTheDuplicateAndNearDuplicateNames()
    {
        // ILSVRC has two "crane" synsets (bird and machine) and two "maillot" ones; a list that deduplicated
        // or sorted names would shift every later index.
        Assert.Equal("crane", ImageNetClasses.Name(134));
        Assert.Equal("crane", ImageNetClasses.Name(517));
        Assert.Equal("maillot", ImageNetClasses.Name(638));
        Assert.Equal("maillot, tank suit", ImageNetClasses.Name(639));
        Assert.All(ImageNetClasses.Names, n => Assert.False(string.IsNullOrWhiteSpace(n)));
        Assert.All(ImageNetClasses.Names, n => Assert.DoesNotContain('\r', n));
    }

    [Fact]
    public void NamesIsACopy()
    {
        string[] a = ImageNetClasses.Names;
        a[0] = "changed";
        Assert.Equal("tench, Tinca tinca", ImageNetClasses.Names[0]);
    }

    [Fact]
    public void NameRejectsIndexOutsideTheClasses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageNetClasses.Name(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageNetClasses.Name(1000));
    }
}
