"""Expected Transition Attention Maps for the golden models, computed independently of Vitmix in PyTorch.

TAM, "Explaining Information Flow Inside Vision Transformers Using Markov Chain" (Yuan et al., NeurIPS 2021
XAI4Debugging), as its reference code computes it: XianrenYty/Transition_Attention_Maps,
baselines/ViT/interpret_methods.py, InterpretTransformer.transition_attention_maps (commit 32c5a48):
  states = mean_h A_last[:, 0, :]; for i in range(start_layer, num_blocks - 1)[::-1]: states = states @ mean_h A_i + states
  total = sum over alpha in np.linspace(0, 1, steps) of d y_target / d A_last at input * alpha
  W = (total / steps).clamp(min=0).mean(heads)[:, 0, :]   (with_integral=False: the gradient of the last alpha, 1)
  map = (states * W)[0, 1:]
The target is the predicted class of the unscaled input. The forward is gae.py's timm forward, checked there
against the golden logits.

Run from the repository root (Debian's python3-torch):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/tam.py
Writes tests/Vitmix.Tests/Explain/Reference/tam/SET/IMAGE/tam_sK_nS.npy (integral, start layer K, S steps) and
tam_sK_plain.npy (without the integral), float32, grid side x side.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from gae import forward, golden_cases  # noqa: E402

OUT = "tests/Vitmix.Tests/Explain/Reference/tam"


def last_attention_gradient(w, x, args, target):
    x = x.clone().requires_grad_(True)
    logits, attns = forward(w, x, args["depth"], args["num_heads"], args["patch_size"])
    one_hot = torch.zeros_like(logits)
    one_hot[0, target] = 1
    (one_hot * logits).sum().backward()
    return attns[-1].grad.detach()


def tam(w, x, args, start_layer, steps, with_integral):
    x = torch.from_numpy(x)
    logits, attns = forward(w, x.clone().requires_grad_(True), args["depth"], args["num_heads"], args["patch_size"])
    target = int(logits[0].argmax())
    b, h, s, _ = attns[-1].shape
    states = attns[-1].detach().mean(1)[:, 0, :].reshape(b, 1, s)
    for i in range(start_layer, args["depth"] - 1)[::-1]:
        attn = attns[i].detach().mean(1)
        states_ = states
        states = states.bmm(attn)
        states += states_
    total = torch.zeros(b, h, s, s)
    grad = None
    for alpha in np.linspace(0, 1, steps):
        grad = last_attention_gradient(w, x * alpha, args, target)
        total += grad
    if with_integral:
        W = (total / steps).clamp(min=0).mean(1)[:, 0, :].reshape(b, 1, s)
    else:
        W = grad.clamp(min=0).mean(1)[:, 0, :].reshape(b, 1, s)
    return (states * W)[0, 0, 1:], target


def main():
    torch.set_grad_enabled(True)
    for s, image, args, w, x, g, folder in golden_cases():
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        for start in range(args["depth"]):
            for steps in (1, 5, 20):
                m, target = tam(w, x, args, start, steps, True)
                np.save(os.path.join(out, f"tam_s{start}_n{steps}.npy"), m.numpy().astype(np.float32).reshape(g, g))
            m, _ = tam(w, x, args, start, 20, False)
            np.save(os.path.join(out, f"tam_s{start}_plain.npy"), m.numpy().astype(np.float32).reshape(g, g))
        print(f"{s}/{image}: class {target}; wrote tam_s0..{args['depth'] - 1}")


if __name__ == "__main__":
    main()
