"""Expected Transformer Input Sampling maps for the golden models, computed independently of Vitmix in PyTorch.

TIS (Englebert et al., ICCVW 2023) as its reference computes it: aenglebert/Transformer_Input_Sampling, tis/tis.py
(class TIS: get_encoder_activations, generate_raw_masks, generate_binary_masks, generate_scores with
tokens_sampling_hook_fn, generate_saliency; commit 11f5cbc), and the k-means it calls, fast_pytorch_kmeans.KMeans
(mode="euclidean"): similarity 2 a.b - |a|^2 - |b|^2, argmax assignment, centroids = mask @ x / counts with NaN set
to 0, stop when the squared centroid move is <= tol (1e-4) or after max_iter (100). One deliberate difference: the
initial centroids are not np.random.choice but the first k points of Vitmix's seeded SplitMix64 shuffle (written out
below), so that both sides start from the same points.

Also writes the logits of the golden model run on a subset of its patch tokens (the reference's sampling hook after
the position embedding: CLS + tokens[:, indices]), which tests VisionTransformer.ForwardTokens directly.

Run from the repository root:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/tis.py
Writes tests/Vitmix.Tests/Explain/Reference/tis/SET/IMAGE/tis_mK_rR.npy (float32, grid) and tokens_logits.npy,
tokens_indices.npy.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gae import golden_cases  # noqa: E402

OUT = "tests/Vitmix.Tests/Explain/Reference/tis"
CASES = [(8, 0.5), (32, 0.25), (20, 0.75)]
M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix_shuffle(count, seed):
    state = (seed * GOLDEN + 1 * 0xD1B54A32D192ED03) & M64

    def nxt():
        nonlocal state
        state = (state + GOLDEN) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = nxt() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def embed(w, x, args):
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=args["patch_size"])
    t = t.flatten(2).transpose(1, 2)
    return torch.cat([w["cls_token"].expand(x.shape[0], -1, -1), t], dim=1) + w["pos_embed"]


def blocks(w, t, args, eps=1e-6):
    """timm's blocks from tokens t; returns the final tokens and every block's output."""
    heads, depth = args["num_heads"], args["depth"]
    d = t.shape[-1]
    hd = d // heads
    outs = []
    for i in range(depth):
        p = f"blocks.{i}."
        y = F.layer_norm(t, (d,), w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        qkv = F.linear(y, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
        B, N, _ = qkv.shape
        q, k, v = qkv.reshape(B, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
        o = ((q @ k.transpose(-2, -1)) * hd ** -0.5).softmax(dim=-1) @ v
        t = t + F.linear(o.transpose(1, 2).reshape(B, N, d), w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        y = F.layer_norm(t, (d,), w[p + "norm2.weight"], w[p + "norm2.bias"], eps)
        t = t + F.linear(F.gelu(F.linear(y, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])), w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
        outs.append(t)
    return t, outs


def head(w, t, eps=1e-6):
    d = t.shape[-1]
    t = F.layer_norm(t, (d,), w["norm.weight"], w["norm.bias"], eps)
    return F.linear(t[:, 0], w["head.weight"], w["head.bias"])


def forward_tokens(w, x, args, index_lists):
    t = embed(w, x, args)
    cls, tokens = t[:, 0].unsqueeze(1), t[:, 1:]
    sampled = torch.cat([torch.cat([cls, tokens[:, idx]], dim=1) for idx in index_lists])
    return head(w, blocks(w, sampled, args)[0])


def kmeans(points, k, seed, max_iter=100, tol=1e-4):
    centroids = points[splitmix_shuffle(points.shape[0], seed)[:k]].clone()
    for _ in range(max_iter):
        sim = 2 * points @ centroids.T - (points ** 2).sum(1)[:, None] - (centroids ** 2).sum(1)[None, :]
        closest = sim.argmax(dim=-1)
        mask = (closest[None].expand(k, -1) == torch.arange(k)[:, None]).to(points.dtype)
        grad = mask @ points / mask.sum(-1)[:, None]
        grad[grad != grad] = 0
        error = (grad - centroids).pow(2).sum()
        centroids = grad
        if error <= tol:
            break
    return centroids


def tis(w, x, args, n_masks, ratio, seed=0):
    with torch.no_grad():
        t = embed(w, x, args)
        final, outs = blocks(w, t, args)
        logits = head(w, final)
        target = int(logits.argmax())
        activations = torch.cat(outs, dim=-1).squeeze(0)[1:].T     # (L*D, P)
        k = min(n_masks, activations.shape[0])
        raw = kmeans(activations, k, seed)
        n_tokens = int(ratio * raw.shape[1])
        index_lists, masks = [], []
        for r in raw:
            idx = r.topk(n_tokens)[1]
            m = torch.zeros_like(r)
            m[idx] = 1
            index_lists.append(idx)
            masks.append(m)
        scores = torch.cat([torch.softmax(forward_tokens(w, x, args, index_lists[i:i + 128]), dim=1)[:, target]
                            for i in range(0, len(index_lists), 128)])
        masks = torch.vstack(masks).T
        saliency = (scores * masks).sum(-1) / masks.sum(-1)
        saliency = saliency - saliency.min()
        return (saliency / saliency.max()).numpy().astype(np.float32), target


def main():
    for s, image, args, w, x, g, folder in golden_cases():
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        x = torch.from_numpy(x)
        for n_masks, ratio in CASES:
            sal, target = tis(w, x, args, n_masks, ratio)
            np.save(os.path.join(out, f"tis_m{n_masks}_r{ratio}.npy"), sal.reshape(g, g))
        with torch.no_grad():
            full = forward_tokens(w, x, args, [torch.arange(g * g)])
        err = np.abs(full.numpy() - np.load(os.path.join(folder, image, "logits.npy"))).max()
        assert err < 1e-4, f"{s}/{image}: the forward here differs from timm's golden logits by {err}"
        rng = np.random.default_rng(3)
        indices = np.stack([np.sort(rng.choice(g * g, size=g * g // 2, replace=False)) for _ in range(3)])
        with torch.no_grad():
            logits = forward_tokens(w, x, args, [torch.from_numpy(i) for i in indices])
        np.save(os.path.join(out, "tokens_indices.npy"), indices.astype(np.int32))
        np.save(os.path.join(out, "tokens_logits.npy"), logits.numpy().astype(np.float32))
        print(f"{s}/{image}: class {target}; wrote tis maps and token-subset logits")


if __name__ == "__main__":
    main()
