"""PyTorch beside `dotnet run -c Release --project bench/Vitmix.Bench -- quick families`: the forwards of
tests/reference/families.py (written from timm's and transformers' sources) at the real sizes, random weights, float32,
batch 1; the forward alone and the forward + backward of one logit with the attention kept (what saliency and the
gradient-based maps need). Median of the runs after 3 warm-ups, 2 threads.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/pytorch/families.py
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
import families as ref  # noqa: E402


def median_ms(fn, runs=10):
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def timed(name, forward, x):
    with torch.no_grad():
        fwd = median_ms(lambda: forward(x))

    def both():
        xg = x.clone().requires_grad_(True)
        logits, _ = forward(xg)
        logits[0, logits[0].argmax()].backward()
    fb = median_ms(both)
    print(f"  {name:<44} forward {fwd:7.1f} ms  forward+backward {fb:7.1f} ms")


def main():
    torch.set_num_threads(2)
    torch.set_default_dtype(torch.float32)
    g = torch.Generator().manual_seed(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    x = torch.randn(1, 3, 224, 224, generator=g)

    # DINOv2-S/14 with 4 registers at 224, timm layout, no classifier
    ref.D, ref.DEPTH, ref.HEADS, ref.MLP, ref.PATCH = 384, 12, 6, 1536, 14
    grid = 16 * 16
    w = {"cls_token": torch.randn(1, 1, ref.D), "reg_token": torch.randn(1, 4, ref.D), "pos_embed": torch.randn(1, grid, ref.D),
         "patch_embed.proj.weight": torch.randn(ref.D, 3, 14, 14) * 0.02, "patch_embed.proj.bias": torch.zeros(ref.D),
         "norm.weight": torch.ones(ref.D), "norm.bias": torch.zeros(ref.D)}
    for i in range(ref.DEPTH):
        for k, v in ref.block_params(g).items():
            w[f"blocks.{i}.{k}"] = v.float() * (0.1 if v.dim() == 2 else 1)
    timed("DINOv2-S/14 reg4 224 (timm, features)", lambda t: ref.timm_forward(w, t, True, True, 14), x)

    # BEiT-B/16 at 224: relative position bias per block, patch mean + fc_norm
    ref.D, ref.DEPTH, ref.HEADS, ref.MLP = 768, 12, 12, 3072
    gs, rows = 14, 27 * 27 + 3
    w = {"cls_token": torch.randn(1, 1, ref.D), "patch_embed.proj.weight": torch.randn(ref.D, 3, 16, 16) * 0.02,
         "patch_embed.proj.bias": torch.zeros(ref.D), "fc_norm.weight": torch.ones(ref.D), "fc_norm.bias": torch.zeros(ref.D),
         "head.weight": torch.randn(1000, ref.D) * 0.02, "head.bias": torch.zeros(1000)}
    for i in range(ref.DEPTH):
        p = f"blocks.{i}."
        for k, v in ref.block_params(g).items():
            w[p + k.replace("ls1.gamma", "gamma_1").replace("ls2.gamma", "gamma_2")] = v.float() * (0.1 if v.dim() == 2 else 1)
        w[p + "attn.q_bias"], w[p + "attn.v_bias"] = torch.zeros(ref.D), torch.zeros(ref.D)
        w[p + "attn.relative_position_bias_table"] = torch.randn(rows, ref.HEADS) * 0.1
        w[p + "attn.relative_position_index"] = ref.relative_position_index(gs, gs)
    timed("BEiT-B/16 224 (rel. pos. bias)", lambda t: ref.beit_forward(w, t, 16, gs), x)


if __name__ == "__main__":
    main()
