"""The reference's Attention Flow (samiraabnar/attention_flow: get_adjmat, compute_flows with networkx's
Edmonds-Karp) timed on random attention, for docs/benchmarks.md. Writes the graph and the flows so that
`dotnet run -c Release --project bench/Vitmix.Bench -- quick attnflow DIR` times Vitmix on the very same graph
and checks it finds the same flows.

  /usr/bin/python3 bench/pytorch/attention_flow.py LAYERS TOKENS DIR     (e.g. 12 50 /tmp/flow-12x50)
"""
import os
import sys
import time

import networkx as nx
import numpy as np


def main():
    layers, tokens, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(layers, tokens, tokens)) * 2.0
    att = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)      # head-averaged attention, rows sum to 1
    res = att + np.eye(tokens)[None]
    res = res / res.sum(-1, keepdims=True)
    n = tokens
    t0 = time.perf_counter()
    adj = np.zeros(((layers + 1) * n, (layers + 1) * n))
    for i in range(1, layers + 1):
        adj[i * n:(i + 1) * n, (i - 1) * n:i * n] = res[i - 1]
    G = nx.from_numpy_array(adj, create_using=nx.DiGraph())
    nx.set_edge_attributes(G, {(i, j): adj[i, j] for i, j in zip(*np.nonzero(adj))}, "capacity")
    u = layers * n
    flows = np.array([nx.maximum_flow_value(G, u, v, flow_func=nx.algorithms.flow.edmonds_karp) for v in range(n)])
    seconds = time.perf_counter() - t0
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "capacities.npy"), res)
    np.save(os.path.join(out, "flows.npy"), flows)
    print(f"networkx Edmonds-Karp, {layers} layers x {tokens} tokens: {tokens} max flows in {seconds:.2f} s")


if __name__ == "__main__":
    main()
