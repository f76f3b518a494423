"""ViT-B/16 at 224 in plain torch.nn, the same graph as Vitmix's VisionTransformer (timm pre-norm block,
fused qkv, exact GELU, class-token pooling), random weights; prints the median forward time and the
GEMM timings of the ViT-B shapes, for docs/benchmarks.md.

Arguments: any of gemm, forward, backward (default gemm forward).
Run (2 threads, OpenMP OpenBLAS; the pthread build fights torch's threads on 2 cores):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/pytorch/forward.py
(Debian's /usr/bin/python3: the apt-installed torch is not visible to other Pythons on PATH.)
"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, img=224, patch=16, dim=768, depth=12, heads=12, hidden=3072, classes=1000):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, hidden) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])


def median_ms(fn, warmup=3, seconds=5.0, min_runs=5):
    for _ in range(warmup):
        fn()
    times, start = [], time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    which = sys.argv[1:] or ["gemm", "forward"]
    with torch.inference_mode():
        if "gemm" in which:
            print("GEMM (ms median, GFLOP/s)")
            for batch in (1, 16):
                m = 197 * batch
                for name, k, n in (("qkv", 768, 2304), ("proj", 768, 768), ("fc1", 768, 3072), ("fc2", 3072, 768)):
                    x, w = torch.rand(m, k) - 0.5, torch.rand(n, k) - 0.5
                    ms = median_ms(lambda: F.linear(x, w), seconds=1.5)
                    print(f"  {name} b{batch} {m}x{k}x{n}".ljust(34) + f"{ms:9.3f} ms {2 * m * k * n / ms / 1e6:8.1f} GFLOP/s")
                h = 12 * batch
                q, kk = torch.rand(h, 197, 64), torch.rand(h, 197, 64)
                ms = median_ms(lambda: q @ kk.transpose(-2, -1), seconds=1.5)
                print(f"  q·kT x{h} 197x64x197".ljust(34) + f"{ms:9.3f} ms {2 * h * 197 * 64 * 197 / ms / 1e6:8.1f} GFLOP/s")
                p, v = torch.rand(h, 197, 197), torch.rand(h, 197, 64)
                ms = median_ms(lambda: p @ v, seconds=1.5)
                print(f"  p·v x{h} 197x197x64".ljust(34) + f"{ms:9.3f} ms {2 * h * 197 * 197 * 64 / ms / 1e6:8.1f} GFLOP/s")
        if "forward" in which:
            model = ViT().eval()
            print("ViT-B/16 224 forward, random weights (ms median)")
            for batch in (1, 16):
                images = torch.randn(batch, 3, 224, 224)
                ms = median_ms(lambda: model(images), seconds=4.0 if batch == 1 else 12.0)
                print(f"  batch {batch:2d}: {ms:9.1f} ms  ({ms / batch:.1f} ms/image)")
    if "backward" in which:
        # forward + backward to the input for one logit per image (what saliency and attention Grad-CAM need),
        # against the forward of the same minutes: PyTorch's own ratio beside Vitmix's.
        model = ViT().eval()
        for p in model.parameters():
            p.requires_grad_(False)
        print("ViT-B/16 224 forward and forward + backward (input gradient), random weights (ms median)")
        for batch in (1, 16):
            images = torch.randn(batch, 3, 224, 224)
            with torch.inference_mode():
                fwd = median_ms(lambda: model(images), seconds=4.0 if batch == 1 else 12.0)

            def step():
                x = images.clone().requires_grad_(True)
                model(x)[:, 0].sum().backward()

            both = median_ms(step, seconds=4.0 if batch == 1 else 20.0)
            print(f"  batch {batch:2d}: forward {fwd:9.1f} ms, forward + backward {both:9.1f} ms = {both / fwd:.2f} forwards")


if __name__ == "__main__":
    main()
