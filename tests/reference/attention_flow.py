"""Expected Attention Flow maps for the golden models, computed the reference's way with networkx.

Attention Flow (Abnar & Zuidema, ACL 2020) as samiraabnar/attention_flow computes it (attention_graph_util.py:
get_adjmat, compute_flows; the notebooks' residual: head mean, + I, rows renormalised): an adjacency matrix of
(L + 1)·N nodes with adj[(i)·N + a, (i − 1)·N + b] = W_{i−1}[a, b], a networkx DiGraph with those values as
'capacity', nx.maximum_flow_value(G, u, v, flow_func=edmonds_karp) from the class token at the top layer u to
every input token v, and the flows divided by their sum. The attention comes from the timm forward of gae.py,
which is checked against the golden logits.

Run from the repository root (Debian's python3-torch and python3-networkx):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/attention_flow.py
Writes tests/Vitmix.Tests/Explain/Reference/attnflow/SET/IMAGE/attnflow.npy (float32, grid H x W).
"""
import os
import sys

import networkx as nx
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from gae import forward, golden_cases  # noqa: E402

OUT = "tests/Vitmix.Tests/Explain/Reference/attnflow"


def get_adjmat(mat):
    n_layers, length, _ = mat.shape
    adj = np.zeros(((n_layers + 1) * length, (n_layers + 1) * length))
    for i in range(1, n_layers + 1):
        for k_f in range(length):
            for k_t in range(length):
                adj[i * length + k_f][(i - 1) * length + k_t] = mat[i - 1][k_f][k_t]
    return adj


def main():
    for s, image, args, w, x, g, folder in golden_cases():
        x = torch.from_numpy(x)
        with torch.no_grad():
            logits, attns = forward(w, x, args["depth"], args["num_heads"], args["patch_size"])
        err = np.abs(logits.numpy() - np.load(os.path.join(folder, image, "logits.npy"))).max()
        assert err < 1e-4, f"{s}/{image}: forward differs from timm's golden logits by {err}"
        att = np.stack([a[0].double().numpy() for a in attns])          # (L, heads, N, N)
        res = att.sum(axis=1) / att.shape[1]
        res = res + np.eye(res.shape[1])[None, ...]
        res = res / res.sum(axis=-1)[..., None]
        L, n = res.shape[0], res.shape[1]
        adj = get_adjmat(res)
        G = nx.from_numpy_array(adj, create_using=nx.DiGraph())
        for i in range(adj.shape[0]):
            for j in range(adj.shape[1]):
                if adj[i, j] > 0:
                    nx.set_edge_attributes(G, {(i, j): adj[i, j]}, "capacity")
        u = L * n   # the class token at the top layer
        flows = np.array([nx.maximum_flow_value(G, u, v, flow_func=nx.algorithms.flow.edmonds_karp) for v in range(n)])
        flows /= flows.sum()
        out = os.path.join(OUT, s, image)
        os.makedirs(out, exist_ok=True)
        np.save(os.path.join(out, "attnflow.npy"), flows[1:].astype(np.float32).reshape(g, g))
        print(f"{s}/{image}: logits within {err:.1e} of timm's; flows to the class token and patches sum to 1")


if __name__ == "__main__":
    main()
