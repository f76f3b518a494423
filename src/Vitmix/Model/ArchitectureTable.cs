using Vitmix.Data;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Model;

/// <summary>A named architecture: its network shape and the preprocessing of its pretrained weights.</summary>
/// <param name="Name">timm (or torchvision) model name without a pretrained tag.</param>
/// <param name="Config">Network shape (NumClasses is left at its default; the checkpoint decides it).</param>
/// <param name="Preprocessing">The family's pretrained_cfg transform.</param>
/// <param name="Layout">The key layout checkpoints of this name normally use.</param>
public sealed record ArchitectureInfo(string Name, VitConfig Config, Preprocessing Preprocessing, CheckpointLayout Layout);

/// <summary>
/// Known ViT/DeiT architectures by name (timm vision_transformer.py / deit.py entry points, torchvision
/// vision_transformer.py), with the pretrained_cfg defaults of their family (formats.md §3.1, §3.4, §5).
/// The head size (NumClasses) is not part of an architecture: it comes from the config or the head's shape.
/// </summary>
public static class ArchitectureTable
{
    static readonly float[] Half = [0.5f, 0.5f, 0.5f];
    static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    static readonly float[] OpenAiClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    static readonly float[] OpenAiClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    static readonly Dictionary<string, ArchitectureInfo> Table = Build();

    /// <summary>Every known architecture, by name.</summary>
    public static IReadOnlyCollection<ArchitectureInfo> All => Table.Values;

    /// <summary>
    /// Looks up <paramref name="name"/>; a timm pretrained tag ("vit_base_patch16_224.augreg2_in21k_ft_in1k") and a
    /// hub prefix ("timm/") are ignored. Null when unknown.
    /// </summary>
    public static ArchitectureInfo? Find(string name)
    {
        string n = name.Trim();
        if (n.StartsWith("timm/", StringComparison.Ordinal)) n = n["timm/".Length..];
        int dot = n.IndexOf('.');
        if (dot >= 0) n = n[..dot];
        return Table.GetValueOrDefault(n);
    }

    static Dictionary<string, ArchitectureInfo> Build()
    {
        var t = new Dictionary<string, ArchitectureInfo>(StringComparer.Ordinal);
        var sizes = new (string Name, int Dim, int Depth, int Heads)[]
        {
            ("tiny", 192, 12, 3), ("small", 384, 12, 6), ("base", 768, 12, 12), ("large", 1024, 24, 16),
        };
        foreach (var (size, dim, depth, heads) in sizes)
        {
            foreach (int patch in new[] { 16, 32 })
            {
                foreach (int img in new[] { 224, 384 })
                {
                    // timm's vit cfgs: mean/std 0.5, bicubic; crop 0.9 at 224, 1.0 at 384.
                    Add(t, $"vit_{size}_patch{patch}_{img}", Vit(dim, depth, heads, patch, img), Prep(Half, img == 224 ? 0.9 : 1.0, "bicubic"));
                }
            }
        }
        foreach (var (size, dim, depth, heads) in sizes.Take(3))
        {
            var deitPrep = Prep(ImageNetMean, 0.9, "bicubic", ImageNetStd);
            Add(t, $"deit_{size}_patch16_224", Vit(dim, depth, heads, 16, 224), deitPrep);
            Add(t, $"deit_{size}_distilled_patch16_224", Vit(dim, depth, heads, 16, 224) with { Distilled = true }, deitPrep);
        }
        Add(t, "deit_base_patch16_384", Vit(768, 12, 12, 16, 384), Prep(ImageNetMean, 1.0, "bicubic", ImageNetStd));
        Add(t, "deit_base_distilled_patch16_384", Vit(768, 12, 12, 16, 384) with { Distilled = true }, Prep(ImageNetMean, 1.0, "bicubic", ImageNetStd));
        foreach (var (size, dim, depth, heads) in sizes.Skip(1))
        {
            foreach (int img in new[] { 224, 384 })
            {
                // DeiT III: LayerScale and position embeddings for the patches only (deit.py deit3_*).
                Add(t, $"deit3_{size}_patch16_{img}", Vit(dim, depth, heads, 16, img) with { LayerScale = true, NoEmbedClass = true },
                    Prep(ImageNetMean, img == 224 ? 0.9 : 1.0, "bicubic", ImageNetStd));
            }
        }
        // Global-average-pool ViT: no class token, 16 heads at base size, the final norm kept (fc_norm=False).
        Add(t, "vit_base_patch16_gap_224", Vit(768, 12, 16, 16, 224) with { ClassToken = false, Pool = GlobalPool.Average, FcNorm = false },
            Prep(Half, 0.9, "bicubic"));

        // DINOv2 (Oquab et al. 2024; timm vit_*_patch14_dinov2 / _reg4_dinov2, vision_transformer.py): patch 14,
        // LayerScale (init_values 1e-5), position embeddings stored for 518 px; with registers (Darcet et al. 2024)
        // timm's converted checkpoints use no_embed_class. pretrained_cfg: ImageNet mean/std, crop_pct 1.0, bicubic.
        foreach (var (size, dim, depth, heads) in sizes.Skip(1))
        {
            var dino = Vit(dim, depth, heads, 14, 518) with { LayerScale = true };
            Add(t, $"vit_{size}_patch14_dinov2", dino, Prep(ImageNetMean, 1.0, "bicubic", ImageNetStd));
            Add(t, $"vit_{size}_patch14_reg4_dinov2", dino with { RegisterTokens = 4, NoEmbedClass = true }, Prep(ImageNetMean, 1.0, "bicubic", ImageNetStd));
        }

        // BEiT, BEiT v2 (timm beit.py): no absolute position embedding, a relative position bias per block, q and v
        // biases, LayerScale, mean of the patch tokens with fc_norm; BEiT's cfg normalises with 0.5, BEiT v2's with ImageNet's.
        foreach (var (size, dim, depth, heads) in new[] { ("base", 768, 12, 12), ("large", 1024, 24, 16) })
        {
            var beit = Vit(dim, depth, heads, 16, 224) with
            {
                LayerScale = true, AbsolutePositionEmbedding = false, RelativePositionBias = true, QvBias = true,
                Pool = GlobalPool.Average, FcNorm = true,
            };
            Add(t, $"beit_{size}_patch16_224", beit, Prep(Half, 0.9, "bicubic"));
            Add(t, $"beitv2_{size}_patch16_224", beit, Prep(ImageNetMean, size == "large" ? 0.95 : 0.9, "bicubic", ImageNetStd));
        }

        // EVA-02 (Fang et al. 2023; timm eva.py eva02_*): patch 14, class token and absolute position embedding, a 2-D
        // rotary embedding with ref_feat_shape (16, 16), q and v biases, SwiGLU of width int(D·4·2/3) (tiny and small:
        // packed fc1, no norm; base and large: split fc1_g / fc1_x and the sub-LN mlp.norm), mean of the patch tokens
        // with fc_norm. _cfg: OpenAI CLIP mean/std, bicubic, crop 0.9 at 224 and 1.0 above (some 448 tags squash instead).
        foreach (var (size, dim, depth, heads, norm) in new[] { ("tiny", 192, 12, 3, false), ("small", 384, 12, 6, false), ("base", 768, 12, 12, true), ("large", 1024, 24, 16, true) })
        {
            foreach (int img in size is "tiny" or "small" ? new[] { 224, 336 } : new[] { 224, 448 })
            {
                var eva = Vit(dim, depth, heads, 14, img) with
                {
                    MlpHidden = (int)(dim * (4 * 2 / 3.0)), GatedMlp = true, MlpNorm = norm, RotaryPositionEmbedding = true,
                    RopeReferenceHeight = 16, RopeReferenceWidth = 16, QvBias = true, Pool = GlobalPool.Average, FcNorm = true,
                };
                Add(t, $"eva02_{size}_patch14_{img}", eva, Prep(OpenAiClipMean, img == 224 ? 0.9 : 1.0, "bicubic", OpenAiClipStd));
            }
        }

        // torchvision: resize the shorter side to 256 (bilinear), centre-crop 224 ⇒ crop_pct 224/256; ImageNet statistics.
        var tv = Prep(ImageNetMean, 224.0 / 256.0, "bilinear", ImageNetStd);
        Add(t, "vit_b_16", Vit(768, 12, 12, 16, 224), tv, CheckpointLayout.Torchvision);
        Add(t, "vit_b_32", Vit(768, 12, 12, 32, 224), tv, CheckpointLayout.Torchvision);
        Add(t, "vit_l_16", Vit(1024, 24, 16, 16, 224), Prep(ImageNetMean, 224.0 / 242.0, "bilinear", ImageNetStd), CheckpointLayout.Torchvision);
        Add(t, "vit_l_32", Vit(1024, 24, 16, 32, 224), tv, CheckpointLayout.Torchvision);
        return t;
    }

    static VitConfig Vit(int dim, int depth, int heads, int patch, int img) => new()
    {
        EmbedDim = dim, Depth = depth, NumHeads = heads, MlpHidden = 4 * dim, PatchSize = patch, ImageHeight = img, ImageWidth = img,
    };

    static Preprocessing Prep(float[] mean, double crop, string interpolation, float[]? std = null) => new()
    {
        Mean = mean, Std = std ?? mean, CropPct = crop, Interpolation = interpolation, Resize = ResizeMode.Crop,
    };

    static void Add(Dictionary<string, ArchitectureInfo> t, string name, VitConfig c, Preprocessing p, CheckpointLayout layout = CheckpointLayout.Timm) =>
        t[name] = new ArchitectureInfo(name, c, p with { InputHeight = c.ImageHeight, InputWidth = c.ImageWidth }, layout);

    internal static PartialConfig ToPartial(ArchitectureInfo info, string origin)
    {
        var p = PartialConfig.FromFull(origin, info.Config, info.Preprocessing);
        p.Family = ModelFamily.FromArchitecture(info.Name);
        return p;
    }
}
