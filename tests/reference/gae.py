"""Expected GAE maps for the golden models, computed independently of Vitmix in PyTorch.

GAE, "Generic Attention-model Explainability" (Chefer, Gur & Wolf, ICCV 2021), as its reference code computes it:
hila-chefer/Transformer-MM-Explainability, notebook Transformer_MM_explainability_ViT.ipynb, functions avg_heads,
apply_self_attention_rules and generate_relevance (commit on main as of 2021-10): the gradient of the target logit
(one-hot times the output, summed) with respect to each block's post-softmax attention, cam = mean over heads of
clamp(grad * attn, min=0), R = I, R += cam @ R for every block from the start layer (the CLIP notebook's
`if i < start_layer: continue`), and the map is R[0, 1:] (the class token's row, patch columns), unnormalised.

The forward is timm's VisionTransformer (timm/models/vision_transformer.py: PatchEmbed conv, cls token, pos_embed
added to every token, pre-norm blocks with fused qkv, GELU MLP, final norm, head on the class token; LayerNorm
eps 1e-6), written out here on the golden checkpoint's tensors; it is checked against the golden logits.npy that
timm itself produced, so the attention and gradients below are those of the reference model.

Run from the repository root (Debian's python3-torch):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/gae.py
Writes tests/Vitmix.Tests/Explain/Reference/gae/SET/IMAGE/gae_sK.npy (float32, grid H x W) for every start layer K.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

GOLDEN = "tests/golden"
OUT = "tests/Vitmix.Tests/Explain/Reference/gae"


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", (name, meta["dtype"])
        a, b = meta["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).reshape(meta["shape"]).copy())
    return tensors


def forward(w, x, depth, heads, patch, eps=1e-6):
    """timm VisionTransformer.forward; returns the logits and each block's attention probabilities (grad retained)."""
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch)
    t = t.flatten(2).transpose(1, 2)
    cls = w["cls_token"].expand(x.shape[0], -1, -1)
    t = torch.cat([cls, t], dim=1) + w["pos_embed"]
    attns = []
    d = t.shape[-1]
    hd = d // heads
    for i in range(depth):
        p = f"blocks.{i}."
        y = F.layer_norm(t, (d,), w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        qkv = F.linear(y, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
        B, N, _ = qkv.shape
        qkv = qkv.reshape(B, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * hd ** -0.5
        attn = attn.softmax(dim=-1)
        if attn.requires_grad:
            attn.retain_grad()
        attns.append(attn)
        o = (attn @ v).transpose(1, 2).reshape(B, N, d)
        t = t + F.linear(o, w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        y = F.layer_norm(t, (d,), w[p + "norm2.weight"], w[p + "norm2.bias"], eps)
        y = F.linear(F.gelu(F.linear(y, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])), w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
        t = t + y
    t = F.layer_norm(t, (d,), w["norm.weight"], w["norm.bias"], eps)
    return F.linear(t[:, 0], w["head.weight"], w["head.bias"]), attns


def gae(attns, start_layer):
    n = attns[0].shape[-1]
    R = torch.eye(n, n)
    for i, attn in enumerate(attns):
        if i < start_layer:
            continue
        cam = (attn.grad[0] * attn[0]).clamp(min=0).mean(dim=0)   # avg_heads
        R = R + cam @ R                                             # apply_self_attention_rules
    return R[0, 1:]


def golden_cases():
    """Every golden model and image: (set, image, model_args, weights, input as float32, grid side, set folder)."""
    for s in sorted(os.listdir(GOLDEN)):
        folder = os.path.join(GOLDEN, s)
        if not os.path.isdir(folder):
            continue
        args = json.load(open(os.path.join(folder, "config.json")))["model_args"]
        w = load_safetensors(os.path.join(folder, "weights.safetensors"))
        g = args["img_size"] // args["patch_size"]
        for image in sorted(os.listdir(folder)):
            path = os.path.join(folder, image, "input.npy")
            if os.path.exists(path):
                yield s, image, args, w, np.load(path).astype(np.float32), g, folder


def main():
    torch.set_grad_enabled(True)
    for s, image, args, w, x, g, folder in golden_cases():
        x = torch.from_numpy(x).requires_grad_(True)  # so the graph records attn
        logits, attns = forward(w, x, args["depth"], args["num_heads"], args["patch_size"])
        golden = np.load(os.path.join(folder, image, "logits.npy"))
        err = np.abs(logits.detach().numpy() - golden).max()
        assert err < 1e-4, f"{s}/{image}: forward differs from timm's golden logits by {err}"
        target = int(logits[0].argmax())
        one_hot = torch.zeros_like(logits)
        one_hot[0, target] = 1
        (one_hot * logits).sum().backward()
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        for start in range(args["depth"]):
            cam = gae(attns, start).detach().numpy().astype(np.float32).reshape(g, g)
            np.save(os.path.join(out, f"gae_s{start}.npy"), cam)
        print(f"{s}/{image}: class {target}, logits within {err:.1e} of timm's; wrote gae_s0..{args['depth'] - 1}")


if __name__ == "__main__":
    main()
