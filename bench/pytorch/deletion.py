"""The reference's deletion loop (ViTmiX script / RISE single-image demo): one forward per step.

ViT-B/16 at 224 (the graph of forward.py, random weights), 100 steps of floor(224*224/100) pixels set to 0 in the
normalised tensor, softmax probability of the original class after each step. Prints the wall time of the whole
curve and of one forward, for docs/benchmarks.md.

Run (2 threads, OpenMP OpenBLAS):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/pytorch/deletion.py
"""
import time

import torch

from forward import ViT


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = ViT().eval()
    image = torch.randn(1, 3, 224, 224)
    order = torch.randperm(224 * 224)
    steps, pps = 100, (224 * 224) // 100
    with torch.no_grad():
        for _ in range(3):
            model(image)
        t0 = time.perf_counter()
        model(image)
        forward_ms = (time.perf_counter() - t0) * 1000
        target = model(image).argmax(1).item()
        t0 = time.perf_counter()
        x = image.clone()
        curve = [torch.softmax(model(x), 1)[0, target].item()]
        for step in range(1, steps + 1):
            idx = order[(step - 1) * pps: step * pps]
            x.view(1, 3, -1)[:, :, idx] = 0
            curve.append(torch.softmax(model(x), 1)[0, target].item())
        curve_ms = (time.perf_counter() - t0) * 1000
    print(f"PyTorch one-forward-per-step deletion curve, 100 steps: {curve_ms:.0f} ms ({curve_ms / forward_ms:.1f} forwards of {forward_ms:.1f} ms)")


if __name__ == "__main__":
    main()
