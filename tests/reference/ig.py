"""Expected integrated-gradients maps for the golden models, computed independently of Vitmix in PyTorch.

Integrated gradients (Sundararajan, Taly & Yan, "Axiomatic Attribution for Deep Networks", ICML 2017) with the
paper's Riemann right rule (alpha_k = k/n, k = 1..n, weights 1/n; the paper's equation 3), and as Captum computes it
by default: pytorch/captum, captum/attr/_core/integrated_gradients.py (IntegratedGradients._attribute)
with captum/attr/_utils/approximation_methods.py (gauss_legendre_builders, the default method "gausslegendre"):
  x_k = x' + alpha_k (x - x'),  alpha_k = (1 + t_k) / 2,  w_k = v_k / 2  for numpy's leggauss(n) nodes t_k, weights v_k
  attribution = (x - x') * sum_k w_k d y_target / d x (x_k)
written out here with numpy's leggauss and torch autograd, not with Captum. The target is the predicted class of x.
The pixel map is the attribution summed over channels; the grid map is that resized to the patch grid with
F.interpolate(bilinear, align_corners=False), as Vitmix's saliency grid map. The forward is gae.py's timm forward,
checked there against the golden logits.

Baselines: "zeros", 0 in the normalised input; "blur", RISE's blur (eclique/RISE, evaluation.py: gkern(11, 5) =
scipy.ndimage.gaussian_filter of a centred 11x11 impulse with sigma 5, applied per channel by conv2d with zero
padding 5), computed here from that definition with scipy, not read from Vitmix.

Run from the repository root (Debian's python3-torch):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/ig.py
Writes tests/Vitmix.Tests/Explain/Reference/ig/SET/IMAGE/ig_RULE_BASELINE_nN.npy (RULE right or gausslegendre) (grid map, float32), ..._nN.pixels.npy
(pixel map, float32) and ..._nN.checks.npy (float64: sum of the attribution, y(x) - y(x')) for N in 5 and 50.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter

sys.path.insert(0, os.path.dirname(__file__))
from gae import forward, golden_cases  # noqa: E402

OUT = "tests/Vitmix.Tests/Explain/Reference/ig"
STEPS = (5, 50)


def rise_blur(x):
    impulse = np.zeros((11, 11))
    impulse[5, 5] = 1
    k = torch.from_numpy(gaussian_filter(impulse, 5).astype(np.float32))
    c = x.shape[1]
    kernel = torch.zeros(c, c, 11, 11)
    for i in range(c):
        kernel[i, i] = k
    return F.conv2d(x, kernel, padding=5)


def logits_of(w, x, args):
    return forward(w, x, args["depth"], args["num_heads"], args["patch_size"])[0]


def integrated_gradients(w, x, baseline, args, target, n, rule):
    if rule == "gausslegendre":
        t, v = np.polynomial.legendre.leggauss(n)
        alphas, weights = 0.5 * (1 + t), 0.5 * v
    else:
        alphas, weights = np.arange(1, n + 1) / n, np.full(n, 1.0 / n)
    points = torch.cat([baseline + float(a) * (x - baseline) for a in alphas], dim=0).requires_grad_(True)
    logits = logits_of(w, points, args)
    logits[:, target].sum().backward()
    grads = points.grad.detach().double()
    total = (grads * torch.from_numpy(weights).view(n, 1, 1, 1)).sum(0, keepdim=True)
    return (total * (x - baseline).double()).float()


def main():
    torch.set_grad_enabled(True)
    for s, image, args, w, x, g, folder in golden_cases():
        x = torch.from_numpy(x)
        with torch.no_grad():
            logits = logits_of(w, x, args)
        target = int(logits[0].argmax())
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        for name, baseline in (("zeros", torch.zeros_like(x)), ("blur", rise_blur(x))):
            with torch.no_grad():
                change = float(logits[0, target]) - float(logits_of(w, baseline, args)[0, target])
            for rule in ("right", "gausslegendre"):
                for n in STEPS:
                    a = integrated_gradients(w, x, baseline, args, target, n, rule)
                    pixels = a[0].sum(0)
                    grid = F.interpolate(pixels[None, None], size=(g, g), mode="bilinear", align_corners=False)[0, 0]
                    stem = os.path.join(out, f"ig_{rule}_{name}_n{n}")
                    np.save(stem + ".npy", grid.numpy().astype(np.float32))
                    np.save(stem + ".pixels.npy", pixels.numpy().astype(np.float32))
                    np.save(stem + ".checks.npy", np.array([a.double().sum().item(), change]))
                    print(f"{s}/{image} {rule} {name} n={n}: class {target}, sum {a.double().sum().item():.6f} vs y(x) - y(x') {change:.6f}")


if __name__ == "__main__":
    main()
