using Vitmix.Server.Explaining;
using Vitmix.Server.Images;

namespace Vitmix.Server;

/// <summary>Everything the endpoints share, one per server: the explorer and its caches, the images, their sources.</summary>
public sealed class ServerState
{
    /// <summary>The state of a server started with <paramref name="options"/>.</summary>
    public ServerState(ServerOptions options)
    {
        Options = options;
        var queue = new PassQueue();
        Explorer = new Explorer(options.Model, queue, options.Methods, options.CacheBytes);
        Images = new BoundedCache<string, ImageSession>(options.CacheBytes / 4, i => i.Bytes);
        Intake = new ImageIntake(options.Model, queue, options);
        Folder = options.ImagesFolder is { } dir ? new ImageFolder(dir) : null;
        Demo = new DemoImages(options.Model.Config.ImageHeight, options.DemoSeed, options.DemoImages);
    }

    /// <summary>What the server was started with.</summary>
    public ServerOptions Options { get; }
    /// <summary>Passes, maps, views.</summary>
    public Explorer Explorer { get; }
    /// <summary>Accepted images by id.</summary>
    public BoundedCache<string, ImageSession> Images { get; }
    /// <summary>Decoding and prediction of new images.</summary>
    public ImageIntake Intake { get; }
    /// <summary>The --images folder, or null.</summary>
    public ImageFolder? Folder { get; }
    /// <summary>The synthetic images.</summary>
    public DemoImages Demo { get; }

    /// <summary>Image <paramref name="id"/>, or a 404 asking for it again.</summary>
    public ImageSession Image(string? id)
    {
        if (string.IsNullOrEmpty(id)) throw ApiException.BadRequest("image: missing, expected the id an image upload returned");
        return Images.TryGet(id, out var image) ? image
            : throw ApiException.NotFound($"image '{ImageFolder.Printable(id)}': not known or no longer cached; load it again");
    }
}
