using Vitmix.Data;
using Vitmix.Model;

namespace Vitmix.Server;

/// <summary>What <c>vitmix serve</c> was started with: the model, where to listen, and the limits it enforces.</summary>
public sealed record ServerOptions
{
    /// <summary>The network every page explains with.</summary>
    public required LoadedModel Model { get; init; }

    /// <summary>How the model was named on the command line (null: the embedded model), for the reproducing command line.</summary>
    public string? ModelArgument { get; init; }

    /// <summary>Address to bind: loopback unless the user asks otherwise, as the explorer has no authentication.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port to bind; 0 lets the system choose a free one (tests, benchmarks).</summary>
    public int Port { get; init; } = 5125;

    /// <summary>The only folder images may be picked from by name (--images DIR), or null for none.</summary>
    public string? ImagesFolder { get; init; }

    /// <summary>The methods shown side by side ("all" by default).</summary>
    public string Methods { get; init; } = "all";

    /// <summary>Benchmark seed of the demo's synthetic images (the CLI passes the demo's held-out seed).</summary>
    public long DemoSeed { get; init; }

    /// <summary>How many synthetic images the page offers.</summary>
    public int DemoImages { get; init; } = 12;

    /// <summary>Largest upload body in bytes: by default the byte limit every image reader of Vitmix has (<see cref="InputLimits.MaxFileBytes"/>).</summary>
    public long MaxUploadBytes { get; init; } = InputLimits.MaxFileBytes;

    /// <summary>Largest image decoded, width × height: by default <c>predict</c>'s limit (<see cref="InputLimits.MaxPixels"/>); lower only.</summary>
    public long MaxPixels { get; init; } = InputLimits.MaxPixels;

    /// <summary>Memory the caches of images, passes and maps may hold together before the least recently used go.</summary>
    public long CacheBytes { get; init; } = 512L << 20;
}
