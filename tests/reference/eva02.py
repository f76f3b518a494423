"""Tiny random EVA-02 checkpoints in timm's layouts, and the outputs PyTorch computes for them.

Two folders under tests/Vitmix.Tests/Model/Families/, as families.py writes the other families:

  timm-eva02      timm eva02_tiny_patch14_336.mim_in22k_ft_in1k layout (a classifier): attn.qkv.weight without bias plus
                  attn.q_bias / attn.v_bias (k bias zero), the packed SwiGLU of GluMlp (swiglu_mlp=True, scale_mlp=False:
                  mlp.fc1 gives 2·hidden features, the first half gated by SiLU, times the second half), no sub-LN,
                  global_pool 'avg' with fc_norm (norm is Identity), head. Rotary embedding for a 4x4 grid with
                  ref_feat_shape (16, 16) (the architecture's), so positions are scaled by 16/4 as the real 336 px model
                  scales its 24x24 grid by 16/24.
  timm-eva02-mim  timm eva02_base_patch14_224.mim_in22k layout (MIM pre-training, num_classes=0: a feature model):
                  qkv_fused=False (attn.q_proj.weight + bias, attn.k_proj.weight without bias, attn.v_proj.weight +
                  bias, as checkpoint_filter_fn renames q_bias / v_bias for non-fused models), SwiGLU with separate
                  mlp.fc1_g / mlp.fc1_x and the sub-LayerNorm mlp.norm (scale_mlp=True), fc_norm, no head. Here
                  ref_feat_shape is given as (4, 4) in model_args, so positions are the plain grid indices, as in the
                  real 224 px model (grid 16x16, ref 16x16).

The forward is written from timm's sources, not imported (timm is not installable here):
  timm/models/eva.py at commit 0173a139a2c66db3a41ebfe1d8ac4fb02483642e: Eva.forward_features (patch embed, prepend cls,
  add pos_embed, rope = self.rope.get_embed()), EvaBlock.forward (x + attn(norm1(x), rope), x + mlp(norm2(x));
  init_values None: no gamma), EvaAttention.forward (qkv bias cat(q_bias, k_bias = 0, v_bias); rope applied to q and k
  of the tokens after the first (the class token is not rotated); softmax(q·scale @ kᵀ) v; norm Identity
  (scale_attn_inner False); proj), Eva.forward_head (global_pool 'avg': mean of x[:, 1:], fc_norm, head).
  timm/layers/mlp.py (same commit): GluMlp.forward (x1, x2 = fc1(x).chunk(2); gate_last=False: act(x1) * x2; norm;
  fc2), SwiGLU.forward (act(fc1_g(x)) * fc1_x(x); norm; fc2).
  timm/layers/pos_embed_sincos.py at commit 0647e283021a2a7b0c7dc989d10564aa55bbf5e7: RotaryEmbeddingCat with
  in_pixels=False -> build_rotary_pos_embed -> build_fourier_pos_embed (bands = 1 / 10000^(i / (head_dim/4)),
  i < head_dim/4; t = arange(grid) scaled by ref / grid; meshgrid 'ij' so the angle list is [row·bands, col·bands];
  sin and cos repeat_interleave(2)), apply_rot_embed_cat (x·cos + rot(x)·sin, rot pairing (x0, x1) -> (-x1, x0)).

Expected outputs, for a batch of two normalised 56x56 inputs: logits.npy (2, K) (the D features for the MIM model),
attn_L.npy (2, H, N, N) per block, grad.npy: d logits[s, argmax_s] / d input summed over the samples;
subset_logits.npy (1, K): sample 0 with only patches SUBSET kept (Eva.forward_features' patch_drop path: the kept
tokens and their rows of the rotary table); resized_input.npy / resized_logits.npy: the model created at 42 px (3x3
grid: its own rotary table, pos_embed resampled as timm's checkpoint_filter_fn does).

Run from the repository root (Debian's python3-torch):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/eva02.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from families import OUT, rand, save_expected, write_json, write_safetensors  # noqa: E402

D, DEPTH, HEADS, PATCH, CLASSES, RUN = 32, 2, 2, 14, 5, 56
HIDDEN = int(D * (4 * 2 / 3))   # mlp_ratio 4·2/3 as eva02_* pass it: 85
EPS = 1e-6                       # timm LayerNorm default
SUBSET = [1, 2, 4, 7, 9, 15]     # kept patches of subset_logits.npy (sample 0)
RESIZED = 42                     # resized_logits.npy: the model run at 42 px (a 3x3 grid)
CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def rope_tables(head_dim, grid, ref):
    """(grid², head_dim) sin and cos of each patch's angles, each angle repeated for its pair of features."""
    bands_n = head_dim // 4
    bands = 1.0 / (10000.0 ** (torch.arange(bands_n, dtype=torch.float32) / bands_n))
    t = torch.arange(grid, dtype=torch.float32) / grid * ref
    rows, cols = torch.meshgrid(t, t, indexing="ij")
    angles = torch.cat([rows.reshape(-1, 1) * bands, cols.reshape(-1, 1) * bands], dim=1)   # (P, head_dim / 2)
    return angles.sin().repeat_interleave(2, -1).double(), angles.cos().repeat_interleave(2, -1).double()


def rotate(x, sin, cos):
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    turned = torch.stack([-pairs[..., 1], pairs[..., 0]], -1).reshape(x.shape)
    return x * cos + turned * sin


def eva_forward(w, x, ref, packed_mlp, heads=HEADS, keep=None):
    """Eva.forward; with keep (patch indices), the tokens and rotary rows patch_drop keeps (apply_keep_indices_nlc)."""
    attns = []
    b = x.shape[0]
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=PATCH).flatten(2).transpose(1, 2)
    grid = x.shape[-1] // PATCH
    t = torch.cat([w["cls_token"].expand(b, -1, -1), t], dim=1) + w["pos_embed"]
    hd = D // heads
    sin, cos = rope_tables(hd, grid, ref)
    if keep is not None:
        index = torch.tensor(keep)
        t = torch.cat([t[:, :1], t[:, 1 + index]], dim=1)
        sin, cos = sin[index], cos[index]
    n = t.shape[1]
    for i in range(DEPTH):
        p = f"blocks.{i}."
        y = F.layer_norm(t, (D,), w[p + "norm1.weight"], w[p + "norm1.bias"], EPS)
        if packed_mlp:
            weight = w[p + "attn.qkv.weight"]
            bias = torch.cat([w[p + "attn.q_bias"], torch.zeros(D), w[p + "attn.v_bias"]])
        else:
            weight = torch.cat([w[p + "attn.q_proj.weight"], w[p + "attn.k_proj.weight"], w[p + "attn.v_proj.weight"]])
            bias = torch.cat([w[p + "attn.q_proj.bias"], torch.zeros(D), w[p + "attn.v_proj.bias"]])
        qkv = F.linear(y, weight, bias).reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = torch.cat([q[:, :, :1], rotate(q[:, :, 1:], sin, cos)], 2)
        k = torch.cat([k[:, :, :1], rotate(k[:, :, 1:], sin, cos)], 2)
        a = ((q * hd ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
        attns.append(a)
        t = t + F.linear((a @ v).transpose(1, 2).reshape(b, n, D), w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        y = F.layer_norm(t, (D,), w[p + "norm2.weight"], w[p + "norm2.bias"], EPS)
        if packed_mlp:
            gate, value = F.linear(y, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"]).chunk(2, dim=-1)
            h = F.silu(gate) * value
        else:
            h = F.silu(F.linear(y, w[p + "mlp.fc1_g.weight"], w[p + "mlp.fc1_g.bias"])) * F.linear(y, w[p + "mlp.fc1_x.weight"], w[p + "mlp.fc1_x.bias"])
            h = F.layer_norm(h, (HIDDEN,), w[p + "mlp.norm.weight"], w[p + "mlp.norm.bias"], EPS)
        t = t + F.linear(h, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    pooled = F.layer_norm(t[:, 1:].mean(dim=1), (D,), w["fc_norm.weight"], w["fc_norm.bias"], EPS)
    out = F.linear(pooled, w["head.weight"], w["head.bias"]) if "head.weight" in w else pooled
    return out, attns


def weights(seed, packed):
    g = torch.Generator().manual_seed(seed)
    grid = (RUN // PATCH) ** 2
    w = {"cls_token": rand(g, 1, 1, D, scale=0.5), "pos_embed": rand(g, 1, 1 + grid, D, scale=0.3),
         "patch_embed.proj.weight": rand(g, D, 3, PATCH, PATCH, scale=0.05), "patch_embed.proj.bias": rand(g, D, scale=0.1),
         "fc_norm.weight": rand(g, D, scale=0.1, mean=1.0), "fc_norm.bias": rand(g, D, scale=0.1)}
    for i in range(DEPTH):
        p = f"blocks.{i}."
        w[p + "norm1.weight"], w[p + "norm1.bias"] = rand(g, D, scale=0.1, mean=1.0), rand(g, D, scale=0.1)
        if packed:
            w[p + "attn.qkv.weight"] = rand(g, 3 * D, D, scale=0.35)
            w[p + "attn.q_bias"], w[p + "attn.v_bias"] = rand(g, D, scale=0.1), rand(g, D, scale=0.1)
        else:
            for part in "qkv":
                w[p + f"attn.{part}_proj.weight"] = rand(g, D, D, scale=0.35)
            w[p + "attn.q_proj.bias"], w[p + "attn.v_proj.bias"] = rand(g, D, scale=0.1), rand(g, D, scale=0.1)
        w[p + "attn.proj.weight"], w[p + "attn.proj.bias"] = rand(g, D, D, scale=0.2), rand(g, D, scale=0.1)
        w[p + "norm2.weight"], w[p + "norm2.bias"] = rand(g, D, scale=0.1, mean=1.0), rand(g, D, scale=0.1)
        if packed:
            w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"] = rand(g, 2 * HIDDEN, D, scale=0.3), rand(g, 2 * HIDDEN, scale=0.1)
        else:
            for part in ("fc1_g", "fc1_x"):
                w[p + f"mlp.{part}.weight"], w[p + f"mlp.{part}.bias"] = rand(g, HIDDEN, D, scale=0.3), rand(g, HIDDEN, scale=0.1)
            w[p + "mlp.norm.weight"], w[p + "mlp.norm.bias"] = rand(g, HIDDEN, scale=0.1, mean=1.0), rand(g, HIDDEN, scale=0.1)
        w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"] = rand(g, D, HIDDEN, scale=0.15), rand(g, D, scale=0.1)
    return w


def fixture(name, architecture, tag, seed, x, packed, classes, ref, crop_pct, extra_args):
    w = weights(seed, packed)
    if classes:
        g = torch.Generator().manual_seed(seed + 100)
        w["head.weight"], w["head.bias"] = rand(g, classes, D, scale=0.3), rand(g, classes, scale=0.1)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), w)
    model_args = {"img_size": RUN, "patch_size": PATCH, "embed_dim": D, "depth": DEPTH, "num_heads": HEADS,
                  "mlp_ratio": 4 * 2 / 3, "swiglu_mlp": True, "use_rot_pos_emb": True, **extra_args}
    # timm _hub.py save_config_for_hf; pretrained_cfg is eva.py's _cfg (OpenAI CLIP mean/std, bicubic) for the tag
    config = {
        "architecture": architecture, "num_classes": classes, "num_features": D, "global_pool": "avg",
        "model_args": model_args,
        "pretrained_cfg": {"tag": tag, "custom_load": False, "input_size": [3, RUN, RUN], "fixed_input_size": True,
                           "interpolation": "bicubic", "crop_pct": crop_pct, "crop_mode": "center",
                           "mean": CLIP_MEAN, "std": CLIP_STD, "num_classes": classes, "pool_size": None,
                           "first_conv": "patch_embed.proj", "classifier": "head", "license": "mit"}}
    if classes:
        config["label_names"] = [f"label {i}" for i in range(classes)]
    write_json(os.path.join(folder, "config.json"), config)
    save_expected(folder, lambda t: eva_forward(w, t, ref, packed), x)
    # a pass on kept patches: each keeps its own rotation (the subset token deletion and TIS run)
    subset, _ = eva_forward(w, x[:1], ref, packed, keep=SUBSET)
    np.save(os.path.join(folder, "expected", "subset_logits.npy"), subset.detach().numpy().astype(np.float32))
    # the model at another size, as timm.create_model(..., img_size=42) loads it: the rotary table built for the 3x3
    # grid (positions scaled by ref / 3), pos_embed resampled by checkpoint_filter_fn's resample_abs_pos_embed
    # (timm/layers/pos_embed.py: patch rows as a (1, D, H, W) image, bicubic, antialias=True, the class row kept)
    grid = RUN // PATCH
    patches = w["pos_embed"][:, 1:].reshape(1, grid, grid, D).permute(0, 3, 1, 2)
    patches = F.interpolate(patches, size=(RESIZED // PATCH, RESIZED // PATCH), mode="bicubic", antialias=True, align_corners=False)
    resized = dict(w, pos_embed=torch.cat([w["pos_embed"][:, :1], patches.permute(0, 2, 3, 1).reshape(1, -1, D)], dim=1))
    xr = torch.randn(1, 3, RESIZED, RESIZED, generator=torch.Generator().manual_seed(13)).float().double()
    logits, _ = eva_forward(resized, xr, ref, packed)
    np.save(os.path.join(folder, "expected", "resized_input.npy"), xr.numpy().astype(np.float32))
    np.save(os.path.join(folder, "expected", "resized_logits.npy"), logits.detach().numpy().astype(np.float32))


def main():
    torch.set_default_dtype(torch.float64)   # the reference runs in float64; Vitmix in float32
    x = torch.randn(2, 3, RUN, RUN, generator=torch.Generator().manual_seed(12)).float().double()
    fixture("timm-eva02", "eva02_tiny_patch14_336", "mim_in22k_ft_in1k", seed=21, x=x, packed=True, classes=CLASSES,
            ref=16, crop_pct=1.0, extra_args={})
    fixture("timm-eva02-mim", "eva02_base_patch14_224", "mim_in22k", seed=22, x=x, packed=False, classes=0,
            ref=4, crop_pct=0.9, extra_args={"qkv_fused": False, "scale_mlp": True, "ref_feat_shape": [4, 4]})


if __name__ == "__main__":
    main()
