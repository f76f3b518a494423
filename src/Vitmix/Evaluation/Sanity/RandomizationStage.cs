namespace Vitmix.Evaluation.Sanity;

/// <summary>
/// Parameters re-initialised together in a model-randomisation check: the classifier head (with the final norm), one
/// transformer block, or the patch embedding; named by the timm parameter-name prefixes they cover.
/// </summary>
/// <param name="Name">"head", "block 11", …, "patch embedding".</param>
/// <param name="Prefixes">timm names starting with any of these belong to the stage.</param>
public sealed record RandomizationStage(string Name, IReadOnlyList<string> Prefixes)
{
    /// <summary>Whether parameter <paramref name="name"/> belongs to the stage.</summary>
    public bool Covers(string name) => Prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
