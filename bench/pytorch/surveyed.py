"""TAM and ViT-CX on ViT-B/16 at 224 in PyTorch, the reference implementations' way, timed beside Vitmix's
`quick explain surveyed` on the same checkpoint (random weights written by `quick explain write-vitb PATH`).

TAM follows tests/reference/tam.py (XianrenYty/Transition_Attention_Maps, interpret_methods.py): one forward and
backward for the attention, then `steps` forward+backward passes of scaled inputs, one at a time as the reference
loops. ViT-CX follows tests/reference/vitcx.py (vaynexie/CausalX-ViT): norm1 features, masks upsampled to 224,
cosine similarity on the full-resolution masks, scikit-learn's complete-linkage clustering, then the masked and
noisy forwards in batches of 50 (the reference's gpu_batch), under no_grad.

Run (2 threads, OpenMP OpenBLAS):
  dotnet run -c Release --project bench/Vitmix.Bench -- quick explain write-vitb /tmp/vitb.safetensors
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/pytorch/surveyed.py /tmp/vitb.safetensors
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
from gae import forward, load_safetensors  # noqa: E402
from tam import tam  # noqa: E402
from vitcx import vitcx  # noqa: E402

ARGS = {"depth": 12, "num_heads": 12, "patch_size": 16, "img_size": 224}


def main():
    torch.set_num_threads(2)
    w = load_safetensors(sys.argv[1])
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2)).numpy()
    with torch.no_grad():
        forward(w, torch.from_numpy(x), 12, 12, 16)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            forward(w, torch.from_numpy(x), 12, 12, 16)
            times.append(time.perf_counter() - t)
    fwd = sorted(times)[2]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads: ViT-B/16 forward {fwd * 1000:.1f} ms (median of 5)")
    torch.set_grad_enabled(True)
    t = time.perf_counter()
    tam(w, x, ARGS, 4, 20, True)
    tam_s = time.perf_counter() - t
    print(f"  tam (start 4, 20 steps)   {tam_s * 1000:9.1f} ms  {tam_s / fwd:6.2f} forwards")
    t = time.perf_counter()
    _, _, n, _, _ = vitcx(w, torch.from_numpy(x), ARGS, -1, 0.1, 0.1)
    cx = time.perf_counter() - t
    print(f"  vitcx ({n} masks)          {cx * 1000:9.1f} ms  {cx / fwd:6.2f} forwards")


if __name__ == "__main__":
    main()
