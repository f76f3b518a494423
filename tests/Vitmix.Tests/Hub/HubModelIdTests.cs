using Vitmix.Hub;

namespace Vitmix.Tests.Hub;

public class HubModelIdTests
{
    [Theory]
    [InlineData("timm/vit_base_patch16_224.augreg2_in21k_ft_in1k", "timm/vit_base_patch16_224.augreg2_in21k_ft_in1k", "main")]
    [InlineData("google/vit-base-patch16-224@main", "google/vit-base-patch16-224", "main")]
    [InlineData("facebook/deit-tiny-patch16-224@refs/pr/3", "facebook/deit-tiny-patch16-224", "refs/pr/3")]
    [InlineData("a/b@0123456789abcdef0123456789abcdef01234567", "a/b", "0123456789abcdef0123456789abcdef01234567")]
    public void ParsesRepoAndRevision(string text, string repo, string revision)
    {
        Assert.True(HubModelId.TryParse(text, out var id));
        Assert.Equal(repo, id.RepoId);
        Assert.Equal(revision, id.Revision);
    }

    [Theory]
    [InlineData("vit_base")]              // no org: too easily a misspelt local file
    [InlineData("a/b/c")]
    [InlineData("/abs/path")]
    [InlineData("./rel/path")]
    [InlineData("org/na--me")]
    [InlineData("org/na..me")]
    [InlineData("org/-name")]
    [InlineData("org/name.")]
    [InlineData("org/name@")]
    [InlineData("org/na me")]
    [InlineData("")]
    public void RejectsWhatIsNotARepoId(string text) => Assert.False(HubModelId.TryParse(text, out _));

    [Fact]
    public void CacheFolderNameAndCommitDetection()
    {
        var id = HubModelId.Parse("timm/vit_tiny_patch16_224.augreg_in21k_ft_in1k");
        Assert.Equal("models--timm--vit_tiny_patch16_224.augreg_in21k_ft_in1k", id.CacheFolderName);
        Assert.False(id.RevisionIsCommit);
        Assert.True(HubModelId.Parse("a/b@0123456789abcdef0123456789abcdef01234567").RevisionIsCommit);
        Assert.False(HubModelId.IsCommitHash("0123456789ABCDEF0123456789abcdef01234567"));
    }

    [Fact]
    public void IsHubIdPrefersExistingLocalPathsAndCheckpointNames()
    {
        string org = "vitmix-hubid-test-" + Guid.NewGuid().ToString("N")[..8];
        string relative = $"{org}/model";
        Assert.True(HubModelResolver.IsHubId(relative));
        Directory.CreateDirectory(relative);
        try
        {
            Assert.False(HubModelResolver.IsHubId(relative));
        }
        finally { Directory.Delete(org, recursive: true); }
        Assert.False(HubModelResolver.IsHubId("checkpoints/vit.safetensors"));
        Assert.False(HubModelResolver.IsHubId("checkpoints/vit.pth"));
        Assert.True(HubModelResolver.IsHubId("timm/vit_base_patch16_224.augreg2_in21k_ft_in1k"));
    }
}
