"""Expected SSIM values for Vitmix's StructuralSimilarity, computed by scikit-image itself.

skimage.metrics.structural_similarity (scikit-image 0.19, Debian's python3-skimage) with its defaults
(uniform window, K1 = 0.01, K2 = 0.03, use_sample_covariance=True) and data_range=1, on pairs of maps in [0, 1]:
random maps, a map against a noisy copy, a map against itself, a map against its negation. The window is 7, or for a
map smaller than 7 the largest odd size that fits (skimage refuses a window larger than the map), passed as win_size.

Run from the repository root:  /usr/bin/python3 tests/reference/ssim.py
Writes tests/Vitmix.Tests/Evaluation/Sanity/Reference/ssim/: a_K.npy and b_K.npy (float32 maps) for each case K and
ssim.npy (float64, one value per case).
"""
import os

import numpy as np
from skimage.metrics import structural_similarity

OUT = "tests/Vitmix.Tests/Evaluation/Sanity/Reference/ssim"


def window(h, w):
    side = min(7, h, w)
    return side if side % 2 == 1 else side - 1


def main():
    rng = np.random.default_rng(7)
    cases = []
    for h, w in [(4, 4), (14, 14), (9, 11), (7, 7), (5, 8)]:
        a = rng.random((h, w)).astype(np.float32)
        cases.append((a, rng.random((h, w)).astype(np.float32)))
        cases.append((a, np.clip(a + 0.1 * rng.standard_normal((h, w)), 0, 1).astype(np.float32)))
    a = rng.random((14, 14)).astype(np.float32)
    cases.append((a, a.copy()))
    cases.append((a, (1 - a).astype(np.float32)))
    os.makedirs(OUT, exist_ok=True)
    values = []
    for k, (a, b) in enumerate(cases):
        s = structural_similarity(a.astype(np.float64), b.astype(np.float64), win_size=window(*a.shape), data_range=1.0)
        np.save(os.path.join(OUT, f"a_{k}.npy"), a)
        np.save(os.path.join(OUT, f"b_{k}.npy"), b)
        values.append(s)
        print(f"case {k}: {a.shape}, window {window(*a.shape)}, ssim {s:.6f}")
    np.save(os.path.join(OUT, "ssim.npy"), np.array(values, dtype=np.float64))


if __name__ == "__main__":
    main()
