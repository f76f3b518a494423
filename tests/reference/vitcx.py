"""Expected ViT-CX maps for the golden models, computed independently of Vitmix in PyTorch and scikit-learn.

ViT-CX, "Causal Explanation of Vision Transformers" (Xie et al., IJCAI 2023), as its reference code computes it:
vaynexie/CausalX-ViT, ViT_CX/ViT_CX.py (ViT_CX, get_cos_similar_matrix, norm_matrix, reshape_function_vit) and
causal_score.py (causal_score.forward), commit 1ea3140:
  - the feature map is the output of blocks[layer].norm1 (the reference's target_layer, blocks[-1].norm1), patch
    tokens reshaped to (D, g, g), resized to the input size by torchvision's Resize (bilinear, align_corners=False;
    for upsampling its antialiasing changes nothing, so F.interpolate is used here), each channel min-max normalised;
  - cosine similarity between the D masks (NaN set to 0), distance = 1 - similarity, sklearn's
    AgglomerativeClustering(n_clusters=None, distance_threshold=t, affinity='precomputed', linkage='complete');
  - each cluster's masks summed and min-max normalised again;
  - causal score: noise n_i (3, H, W); p_mask = softmax(model(x * M_i + n_i * (1 - M_i))),
    p_orig = softmax(model(x + n_i * (1 - M_i))); p_final = p_mask - p_orig + class_p;
    sal = p_final @ (M / sum_i M_i) / N, row of the target class (the top-1 prediction).
Two deliberate differences, both only in bookkeeping: the clusters are numbered in order of their first channel
(sklearn's numbering is arbitrary and the noise of mask i depends on i), and the noise is not torch.randn but
Vitmix's SplitMixGaussian (src/Vitmix/Engine/SplitMixGaussian.cs), written out below, so both draw the same
numbers; sigma 0.1 as in the reference.

Run from the repository root (Debian's python3-torch and python3-sklearn):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/vitcx.py
Writes tests/Vitmix.Tests/Explain/Reference/vitcx/SET/IMAGE/vitcx_lL_tT_nS.npy (saliency, float32, H x W) and
labels_lL_tT.npy (int32 cluster of every channel).
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import AgglomerativeClustering

sys.path.insert(0, os.path.dirname(__file__))
from gae import forward, golden_cases  # noqa: E402

OUT = "tests/Vitmix.Tests/Explain/Reference/vitcx"
CASES = [(-1, 0.1, 0.1), (-1, 0.1, 0.0), (0, 0.3, 0.1)]   # (layer, distance threshold, noise sigma)
M64 = (1 << 64) - 1


def norm1_output(w, x, args, block, eps=1e-6):
    """timm's forward up to blocks[block].norm1 (the loop of gae.forward, stopped there)."""
    heads, patch, depth = args["num_heads"], args["patch_size"], args["depth"]
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch)
    t = t.flatten(2).transpose(1, 2)
    t = torch.cat([w["cls_token"].expand(x.shape[0], -1, -1), t], dim=1) + w["pos_embed"]
    d = t.shape[-1]
    hd = d // heads
    for i in range(depth):
        p = f"blocks.{i}."
        y = F.layer_norm(t, (d,), w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        if i == block:
            return y
        qkv = F.linear(y, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
        B, N, _ = qkv.shape
        q, k, v = qkv.reshape(B, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
        o = ((q @ k.transpose(-2, -1)) * hd ** -0.5).softmax(dim=-1) @ v
        t = t + F.linear(o.transpose(1, 2).reshape(B, N, d), w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        y = F.layer_norm(t, (d,), w[p + "norm2.weight"], w[p + "norm2.bias"], eps)
        t = t + F.linear(F.gelu(F.linear(y, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])), w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    raise ValueError(block)


def splitmix_gaussian(seed, stream, sigma, count):
    """SplitMixGaussian.Fill: SplitMix64 stream, Box-Muller in pairs (see the C# file's remarks)."""
    golden = 0x9E3779B97F4A7C15
    state = (seed * golden + (stream + 1) * 0xD1B54A32D192ED03) & M64
    draws = 2 * ((count + 1) // 2)
    z = (state + np.arange(1, draws + 1, dtype=np.uint64) * np.uint64(golden)).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    u1, u2 = u[0::2], u[1::2]
    r = np.sqrt(-2 * np.log(1 - u1))
    out = np.empty(draws, dtype=np.float64)
    out[0::2] = r * np.cos(2 * np.pi * u2)
    out[1::2] = r * np.sin(2 * np.pi * u2)
    return (sigma * out[:count]).astype(np.float32)


def norm_matrix(act):
    row_mins = torch.min(act, 1).values[:, None]
    row_maxs = torch.max(act, 1).values[:, None]
    return (act - row_mins) / (row_maxs - row_mins)


def cos_similar_matrix(v1, v2):
    num = torch.mm(v1, torch.transpose(v2, 0, 1))
    denom = torch.linalg.norm(v1, dim=1).reshape(-1, 1) * torch.linalg.norm(v2, dim=1)
    res = num / denom
    res[torch.isnan(res)] = 0
    return res


def vitcx(w, x, args, layer, threshold, sigma, seed=0):
    H, W = x.shape[2], x.shape[3]
    g = args["img_size"] // args["patch_size"]
    logits, _ = forward(w, x, args["depth"], args["num_heads"], args["patch_size"])
    probs = logits.softmax(dim=1)[0]
    target = int(probs.argmax())
    class_p = probs[target]
    block = args["depth"] - 1 if layer < 0 else layer
    fm = norm1_output(w, x, args, block)[:, 1:, :].reshape(1, g, g, -1).permute(0, 3, 1, 2)
    fm = F.interpolate(fm, size=(H, W), mode="bilinear", align_corners=False)[0]
    mask = norm_matrix(fm.reshape(fm.shape[0], H * W))
    distance = (1 - cos_similar_matrix(mask, mask)).numpy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold, affinity="precomputed",
                                          linkage="complete", compute_distances=True).fit(distance)
    margin = np.abs(cluster.distances_ - threshold).min() if len(cluster.distances_) else float("inf")
    # number clusters in order of first channel
    order = {}
    labels = np.array([order.setdefault(l, len(order)) for l in cluster.labels_], dtype=np.int32)
    n = len(order)
    clustered = torch.zeros((n, H * W))
    for i in range(len(mask)):
        clustered[labels[i]] += mask[i]
    masks = norm_matrix(clustered).reshape(n, 1, H, W)
    xi = x[0]
    noise = torch.stack([torch.from_numpy(splitmix_gaussian(seed, i, sigma, 3 * H * W).reshape(3, H, W)) for i in range(n)])
    inverse = 1 - masks   # (n, 1, H, W), broadcast over channels like the reference's repeat
    masked = xi * masks + noise * inverse
    original = xi + noise * inverse
    with torch.no_grad():
        p_mask = torch.cat([forward(w, masked[i:i + 50], args["depth"], args["num_heads"], args["patch_size"])[0] for i in range(0, n, 50)]).softmax(dim=1)
        p_orig = torch.cat([forward(w, original[i:i + 50], args["depth"], args["num_heads"], args["patch_size"])[0] for i in range(0, n, 50)]).softmax(dim=1)
    masks = masks.reshape(n, H, W)
    masks_divide = masks / torch.sum(masks, axis=0)
    p_final = p_mask.transpose(0, 1) - p_orig.transpose(0, 1) + class_p
    sal = torch.matmul(p_final, masks_divide.view(n, H * W)).view(-1, H, W) / n
    return sal[target].detach().numpy().astype(np.float32), labels, n, margin, target


def main():
    for s, image, args, w, x, g, folder in golden_cases():
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        x = torch.from_numpy(x)
        for layer, t, sigma in CASES:
            sal, labels, n, margin, target = vitcx(w, x, args, layer, t, sigma)
            assert np.isfinite(sal).all(), (s, image, layer, t, sigma)
            np.save(os.path.join(out, f"vitcx_l{layer}_t{t}_n{sigma}.npy"), sal)
            np.save(os.path.join(out, f"labels_l{layer}_t{t}.npy"), labels)
            print(f"{s}/{image} layer {layer} t {t} sigma {sigma}: class {target}, {n} masks of {len(labels)} channels, "
                  f"closest merge distance to the threshold {margin:.2e}")


if __name__ == "__main__":
    main()
