namespace Vitmix.Model.Checkpoints;

/// <summary>timm's own state-dict names (also the hub's model.safetensors): used as they are.</summary>
internal sealed class TimmKeyLayout : KeyLayout
{
    public override CheckpointLayout Kind => CheckpointLayout.Timm;
    public override string Description => "timm";
    public override CanonicalPart? ToCanonical(string key) => new CanonicalPart(key, 0, 1);
    public override string[] FromCanonical(string canonical) => [canonical];
}
