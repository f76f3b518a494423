namespace Vitmix.Model;

/// <summary>Loads a ViT from a safetensors checkpoint (file or model folder) with its config. (stub: being written)</summary>
public static class ModelLoader
{
    /// <summary>
    /// <paramref name="path"/> is a .safetensors file (config.json beside it is used when present) or a folder
    /// holding model.safetensors and config.json. Errors are <see cref="InvalidDataException"/> naming the file and the problem.
    /// </summary>
    public static LoadedModel Load(string path, ModelOverrides? overrides = null) =>
        throw new NotImplementedException("ModelLoader is being written");
}
