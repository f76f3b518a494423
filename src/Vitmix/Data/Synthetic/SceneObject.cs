namespace Vitmix.Data.Synthetic;

/// <summary>A shape with its fill.</summary>
internal sealed record SceneObject(ShapePlacement Placement, ObjectTexture Texture);
