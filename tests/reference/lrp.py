"""Expected AttnLRP and CP-LRP pixel maps for the golden models, computed independently of Vitmix in PyTorch.

Both methods are run the way LXT's efficient variant runs them (rachtibat/LRP-eXplains-Transformers, commit
6bfe2c8865520b0ca4ccc16394ef68d62040b8f2: lxt/efficient/rules.py and lxt/efficient/patches.py, and for the ViT
lxt/efficient/models/vit_torch.py): as gradient x input of the network with a modified backward, so that the
relevance at the input is x * x.grad and the relevance at the output is the target logit. Vitmix instead propagates the rules
layer by layer (explicit LRP, as lxt/explicit/functional.py), so the two agree only if the rules are what they claim.

AttnLRP (Achtibat et al., ICML 2024):
  - LayerNorm: the standard deviation detached (layer_norm_forward: "equivalent to the identity rule");
  - GELU: the identity rule, gradient replaced by gelu(x) / (x + 1e-10) (identity_rule_implicit);
  - q k^T and p v: the uniform rule, each factor's gradient halved (divide_gradient; LXT's HF wrapper divides q and k
    by 4 because it folds p's halving into them; here p and v, q and k are halved where the products take them);
  - softmax: its plain gradient (gradient x input of the softmax is the Taylor rule x * (R - s * sum R));
  - linear layers, additions, the patch embedding: the plain gradient (the epsilon rule for epsilon -> 0).
CP-LRP (Ali et al., ICML 2022): the attention probabilities detached (cp_multi_head_attention_forward detaches q and
k, the same thing), LayerNorm's standard deviation detached, GELU by the identity rule as LXT's cp_LRP for
torchvision's ViT patches it (Ali et al.'s own BERT code has no GELU); plain gradients elsewhere.

The forward is gae.py's timm forward (checked against the golden logits there and here).

Run from the repository root (Debian's python3-torch):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/lrp.py
Writes tests/Vitmix.Tests/Explain/Reference/lrp/SET/IMAGE/{attnlrp,cplrp}_pixels.npy (float32, H x W: relevance at
the input summed over channels) and lrp/conservation.json (sum of the relevance at the input / target logit).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gae import golden_cases  # noqa: E402

OUT = "tests/Vitmix.Tests/Explain/Reference/lrp"


class Halve(torch.autograd.Function):
    """Identity forward, half the gradient backward: one factor's share of the uniform rule."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g / 2


class IdentityRuleGelu(torch.autograd.Function):
    """GELU whose backward passes relevance unchanged under gradient x input: grad = gelu(x) / x."""

    @staticmethod
    def forward(ctx, x):
        y = F.gelu(x)
        ctx.save_for_backward(y / (x + 1e-10))
        return y

    @staticmethod
    def backward(ctx, g):
        return ctx.saved_tensors[0] * g


def layer_norm_detached_std(t, weight, bias, eps):
    mean = t.mean(dim=-1, keepdim=True)
    std = ((t - mean) ** 2).mean(dim=-1, keepdim=True).add(eps).sqrt()
    return (t - mean) / std.detach() * weight + bias


def forward(w, x, depth, heads, patch, method, eps=1e-6):
    """timm VisionTransformer.forward with the method's modified backward."""
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch)
    t = t.flatten(2).transpose(1, 2)
    cls = w["cls_token"].expand(x.shape[0], -1, -1)
    t = torch.cat([cls, t], dim=1) + w["pos_embed"]
    d = t.shape[-1]
    hd = d // heads
    for i in range(depth):
        p = f"blocks.{i}."
        y = layer_norm_detached_std(t, w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        qkv = F.linear(y, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
        B, N, _ = qkv.shape
        qkv = qkv.reshape(B, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if method == "attnlrp":
            attn = (Halve.apply(q) @ Halve.apply(k).transpose(-2, -1)) * hd ** -0.5
            attn = attn.softmax(dim=-1)
            o = Halve.apply(attn) @ Halve.apply(v)
        else:
            attn = ((q @ k.transpose(-2, -1)) * hd ** -0.5).softmax(dim=-1).detach()
            o = attn @ v
        o = o.transpose(1, 2).reshape(B, N, d)
        t = t + F.linear(o, w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        y = layer_norm_detached_std(t, w[p + "norm2.weight"], w[p + "norm2.bias"], eps)
        h = IdentityRuleGelu.apply(F.linear(y, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"]))
        t = t + F.linear(h, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    t = layer_norm_detached_std(t, w["norm.weight"], w["norm.bias"], eps)
    return F.linear(t[:, 0], w["head.weight"], w["head.bias"])


def main():
    conservation = {}
    for s, image, args, w, x0, g, folder in golden_cases():
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        golden = np.load(os.path.join(folder, image, "logits.npy"))
        for method in ("attnlrp", "cplrp"):
            x = torch.from_numpy(x0).double().requires_grad_(True)
            wd = {k: v.double() for k, v in w.items()}
            logits = forward(wd, x, args["depth"], args["num_heads"], args["patch_size"], method)
            err = np.abs(logits.detach().numpy() - golden).max()
            assert err < 1e-4, f"{s}/{image}: forward differs from timm's golden logits by {err}"
            target = int(logits[0].argmax())
            y = logits[0, target]
            # Gradient x input starts from R = y * dy/dy = y, the logit: the seed is gradient 1. (LXT's examples call
            # y.backward(y), which in its explicit mode seeds relevance y; in gradient x input that seed scales every
            # relevance by y once more.)
            y.backward()
            relevance = (x * x.grad)[0].detach()
            pixels = relevance.sum(dim=0).numpy().astype(np.float32)
            np.save(os.path.join(out, f"{method}_pixels.npy"), pixels)
            total = float(relevance.sum())
            conservation[f"{s}/{image}/{method}"] = {"target": target, "logit": float(y), "input_sum": total, "ratio": total / float(y)}
            print(f"{s}/{image} {method}: class {target}, logit {float(y):.4f}, input sum {total:.4f}, ratio {total / float(y):.4f}")
    with open(os.path.join(OUT, "conservation.json"), "w") as f:
        json.dump(conservation, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
