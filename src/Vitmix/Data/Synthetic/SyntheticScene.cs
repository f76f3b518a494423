namespace Vitmix.Data.Synthetic;

/// <summary>Everything drawn in one image: the labelled object, distractors of other classes, the background.</summary>
internal sealed record SyntheticScene(
    int Size, int ClassIndex, SceneObject Target, IReadOnlyList<SceneObject> Distractors, SyntheticBackground Background);
