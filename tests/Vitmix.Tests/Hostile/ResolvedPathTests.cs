using Vitmix.IO;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Hostile;

/// <summary>The containment check the hub cache relies on: links are followed before a path counts as inside.</summary>
public sealed class ResolvedPathTests : IDisposable
{
    readonly TempDir tmp = new();

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void FollowsLinksAnywhereOnThePath()
    {
        string root = tmp.Dir("root");
        string outside = tmp.Dir("outside");
        Directory.CreateSymbolicLink(Path.Combine(root, "dir-out"), outside);
        File.CreateSymbolicLink(Path.Combine(root, "file-out"), "../outside/secret");
        Directory.CreateDirectory(Path.Combine(root, "a", "b"));
        File.CreateSymbolicLink(Path.Combine(root, "a", "b", "up"), "../../x");

        Assert.Equal(Path.Combine(outside, "new", "file"), ResolvedPath.Resolve(Path.Combine(root, "dir-out", "new", "file")));
        Assert.Equal(Path.Combine(outside, "secret"), ResolvedPath.Resolve(Path.Combine(root, "file-out")));
        Assert.Equal(Path.Combine(root, "x"), ResolvedPath.Resolve(Path.Combine(root, "a", "b", "up")));
        Assert.False(ResolvedPath.IsInside(root, Path.Combine(root, "dir-out", "f")));
        Assert.False(ResolvedPath.IsInside(root, Path.Combine(root, "file-out")));
        Assert.False(ResolvedPath.IsInside(root, Path.Combine(root, "..", "root-sibling")));
        Assert.False(ResolvedPath.IsInside(root, root));
        Assert.False(ResolvedPath.IsInside(root, root + "-evil"));
        Assert.True(ResolvedPath.IsInside(root, Path.Combine(root, "a", "b", "up")));
        Assert.True(ResolvedPath.IsInside(root, Path.Combine(root, "not", "there", "yet")));
    }

    [Fact]
    public void ALinkLoopIsAnErrorNamingThePath()
    {
        string a = tmp.Combine("a"), b = tmp.Combine("b");
        File.CreateSymbolicLink(a, "b");
        File.CreateSymbolicLink(b, "a");
        var e = Assert.Throws<IOException>(() => ResolvedPath.Resolve(Path.Combine(a, "x")));
        Assert.Contains(a, e.Message);
    }
}
