namespace Vitmix.Layers;

/// <summary>The non-linearity between an MLP's two linear layers.</summary>
public enum MlpActivation
{
    /// <summary>Exact GELU, x·Φ(x) (PyTorch's nn.GELU(), timm's default).</summary>
    Gelu,
    /// <summary>QuickGELU, x·σ(1.702x), OpenAI CLIP's (open_clip quick_gelu, transformers "quick_gelu").</summary>
    QuickGelu,
    /// <summary>GELU's tanh approximation (PyTorch approximate='tanh'), SigLIP's ("gelu_pytorch_tanh", timm 'gelu_tanh').</summary>
    GeluTanh,
}
