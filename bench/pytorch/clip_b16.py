"""PyTorch beside `dotnet run -c Release --project bench/Vitmix.Bench -- quick families clip FOLDER`: a CLIP ViT-B/16
image encoder at 224 (width 768, 12 layers, 12 heads, embedding 512, QuickGELU, OpenAI layout) with random weights and a
zero-shot head over 1000 random text rows, timed with the forward of tests/reference/clip.py (written from open_clip's
VisionTransformer.forward and CLIP.forward); the checkpoint it times is written to FOLDER in open_clip's layout
(open_clip_model.safetensors + open_clip_config.json, text.npy), so that Vitmix times the same weights. Batch 1, float32,
2 threads; median of 10 runs after 3 warm-ups; the forward alone and the forward + backward of one logit.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/pytorch/clip_b16.py /tmp/clip-b16
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
import clip as ref  # noqa: E402


def median_ms(fn, runs=10):
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/clip-b16"
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    ref.IMG, ref.PATCH, ref.WIDTH, ref.LAYERS, ref.HEAD_WIDTH, ref.EMBED = 224, 16, 768, 12, 64, 512
    ref.HEADS = ref.WIDTH // ref.HEAD_WIDTH
    g = torch.Generator().manual_seed(1)
    w = {k: v for k, v in ref.random_weights(g).items()}
    # the scale of random_weights suits the tiny model; at width 768 the residual stream would grow without bound
    for k, v in w.items():
        if v.dim() == 2 and ("in_proj" in k or "c_fc" in k or "c_proj" in k or "out_proj" in k):
            w[k] = v * 0.1
    text = torch.randn(1000, ref.EMBED, generator=g)
    os.makedirs(folder, exist_ok=True)
    ref.write_safetensors(os.path.join(folder, "open_clip_model.safetensors"), w)
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": {"embed_dim": ref.EMBED, "quick_gelu": True,
                                 "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "head_width": 64, "patch_size": 16},
                                 "text_cfg": {"context_length": ref.CONTEXT, "vocab_size": ref.VOCAB, "width": ref.TEXT_WIDTH,
                                              "heads": 1, "layers": ref.TEXT_LAYERS}},
                   "preprocess_cfg": {"mean": ref.MEAN, "std": ref.STD}}, f, indent=2)
    np.save(os.path.join(folder, "text.npy"), text.numpy().astype(np.float32))

    x = torch.randn(1, 3, 224, 224, generator=g)
    retain = torch.Tensor.retain_grad

    def forward():
        torch.Tensor.retain_grad = lambda self: None   # the reference keeps the attention's gradients; a forward alone has none
        try:
            with torch.no_grad():
                features, _ = ref.encode_image(w, x, ref.quick_gelu)
                return ref.zero_shot_logits(features, text, w["logit_scale"])
        finally:
            torch.Tensor.retain_grad = retain

    def both():
        xi = x.clone().requires_grad_(True)
        features, _ = ref.encode_image(w, xi, ref.quick_gelu)
        logits = ref.zero_shot_logits(features, text, w["logit_scale"])
        logits[0, logits[0].argmax()].backward()

    print(f"  CLIP ViT-B/16 224 (OpenAI layout, 1000 classes)  forward {median_ms(forward):7.1f} ms  forward+backward {median_ms(both):7.1f} ms")


if __name__ == "__main__":
    main()
