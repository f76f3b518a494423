"""Tiny SigLIP image encoders in the Hugging Face and timm layouts, and what PyTorch computes on them.

The forward is written here from the libraries' sources, not imported (timm and transformers are not installed):
- transformers (huggingface/transformers @ 679021a6b0ded09d623a96e2bd2f822c5a548872), models/siglip/modeling_siglip.py:
  SiglipVisionEmbeddings (patch_embedding Conv2d with bias, position_embedding over the patches, no class token),
  SiglipEncoderLayer (layer_norm1, self_attn q/k/v/out_proj, layer_norm2, mlp fc1/fc2 with ACT2FN["gelu_pytorch_tanh"]),
  post_layernorm, SiglipMultiheadAttentionPoolingHead (probe (1,1,D); nn.MultiheadAttention(probe, x, x) with
  in_proj_weight rows q, k, v and out_proj; residual + mlp(layernorm(.)); [:, 0]), SiglipModel.forward: both
  embeddings L2-normalised, logits_per_image = image @ text.T * logit_scale.exp() + logit_bias, sigmoid probabilities.
  configuration_siglip.py: layer_norm_eps 1e-6, hidden_act gelu_pytorch_tanh.
- timm (huggingface/pytorch-image-models @ 94567641e33d5c16b2262ccbec33f2a603e612ed), models/vision_transformer.py
  vit_base_patch16_siglip_224 (class_token=False, global_pool='map', act_layer='gelu_tanh', norm eps 1e-6) and
  timm/layers/attention_pool.py AttentionPoolLatent (latent, q, kv (k rows then v rows), proj, x + mlp(norm(x)), pool
  'token'); _convert_big_vision / the hub's webli checkpoints: attn_pool.*, num_classes 0 (no head).

One set of random weights in both layouts with the real repos' key names (F32; HF with a tiny text tower, ignored).
Expected: image embedding (the pooled output), logits from text.npy, block attention, the probe's attention over the
tokens (head-averaged, the MAP readout weights), and the input gradient of the top logit.

Run from the repository root:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/siglip.py
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from clip import write_safetensors  # noqa: E402

OUT = "tests/Vitmix.Tests/Model/ImageText/Siglip"
IMG, PATCH, WIDTH, LAYERS, HEADS, CLASSES = 32, 8, 32, 2, 2, 5
HD = WIDTH // HEADS
N = (IMG // PATCH) ** 2
TEXT_WIDTH, VOCAB, CONTEXT = 32, 10, 7
LOGIT_SCALE, LOGIT_BIAS = math.log(117.33), -12.93  # of the order of trained SigLIP values
LABELS = ["cat", "dog", "car", "tree", "house"]


def r(g, *shape, s=0.2):
    return torch.randn(*shape, generator=g) * s


def random_weights(g):
    """HF SiglipModel names."""
    v = "vision_model."
    w = {
        v + "embeddings.patch_embedding.weight": r(g, WIDTH, 3, PATCH, PATCH, s=0.1),
        v + "embeddings.patch_embedding.bias": r(g, WIDTH, s=0.1),
        v + "embeddings.position_embedding.weight": r(g, N, WIDTH, s=0.3),
        v + "post_layernorm.weight": 1 + r(g, WIDTH, s=0.1), v + "post_layernorm.bias": r(g, WIDTH, s=0.1),
        v + "head.probe": r(g, 1, 1, WIDTH, s=0.5),
        v + "head.attention.in_proj_weight": r(g, 3 * WIDTH, WIDTH), v + "head.attention.in_proj_bias": r(g, 3 * WIDTH, s=0.1),
        v + "head.attention.out_proj.weight": r(g, WIDTH, WIDTH), v + "head.attention.out_proj.bias": r(g, WIDTH, s=0.1),
        v + "head.layernorm.weight": 1 + r(g, WIDTH, s=0.1), v + "head.layernorm.bias": r(g, WIDTH, s=0.1),
        v + "head.mlp.fc1.weight": r(g, 4 * WIDTH, WIDTH), v + "head.mlp.fc1.bias": r(g, 4 * WIDTH, s=0.1),
        v + "head.mlp.fc2.weight": r(g, WIDTH, 4 * WIDTH, s=0.1), v + "head.mlp.fc2.bias": r(g, WIDTH, s=0.1),
    }
    for i in range(LAYERS):
        p = f"{v}encoder.layers.{i}."
        for n in ("q", "k", "v", "out"):
            w[p + f"self_attn.{n}_proj.weight"] = r(g, WIDTH, WIDTH)
            w[p + f"self_attn.{n}_proj.bias"] = r(g, WIDTH, s=0.1)
        w.update({
            p + "layer_norm1.weight": 1 + r(g, WIDTH, s=0.1), p + "layer_norm1.bias": r(g, WIDTH, s=0.1),
            p + "layer_norm2.weight": 1 + r(g, WIDTH, s=0.1), p + "layer_norm2.bias": r(g, WIDTH, s=0.1),
            p + "mlp.fc1.weight": r(g, 4 * WIDTH, WIDTH), p + "mlp.fc1.bias": r(g, 4 * WIDTH, s=0.1),
            p + "mlp.fc2.weight": r(g, WIDTH, 4 * WIDTH, s=0.1), p + "mlp.fc2.bias": r(g, WIDTH, s=0.1),
        })
    t = "text_model."
    w.update({
        t + "embeddings.token_embedding.weight": r(g, VOCAB, TEXT_WIDTH),
        t + "embeddings.position_embedding.weight": r(g, CONTEXT, TEXT_WIDTH),
        t + "final_layer_norm.weight": 1 + r(g, TEXT_WIDTH, s=0.1), t + "final_layer_norm.bias": r(g, TEXT_WIDTH, s=0.1),
        t + "head.weight": r(g, TEXT_WIDTH, TEXT_WIDTH), t + "head.bias": r(g, TEXT_WIDTH, s=0.1),
        "logit_scale": torch.tensor([LOGIT_SCALE]), "logit_bias": torch.tensor([LOGIT_BIAS]),
    })
    return w


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def encode_image(w, x):
    v = "vision_model."
    d = WIDTH
    t = F.conv2d(x, w[v + "embeddings.patch_embedding.weight"], w[v + "embeddings.patch_embedding.bias"], stride=PATCH)
    t = t.flatten(2).transpose(1, 2) + w[v + "embeddings.position_embedding.weight"]
    attns = []
    for i in range(LAYERS):
        p = f"{v}encoder.layers.{i}."
        y = F.layer_norm(t, (d,), w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], 1e-6)
        B, L, _ = y.shape
        q, k, vv = (F.linear(y, w[p + f"self_attn.{n}_proj.weight"], w[p + f"self_attn.{n}_proj.bias"]).reshape(B, L, HEADS, HD).transpose(1, 2)
                    for n in ("q", "k", "v"))
        a = torch.softmax(q @ k.transpose(-2, -1) * HD ** -0.5, dim=-1)
        a.retain_grad()
        attns.append(a)
        o = (a @ vv).transpose(1, 2).reshape(B, L, d)
        t = t + F.linear(o, w[p + "self_attn.out_proj.weight"], w[p + "self_attn.out_proj.bias"])
        y = F.layer_norm(t, (d,), w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], 1e-6)
        t = t + F.linear(gelu_tanh(F.linear(y, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])), w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    t = F.layer_norm(t, (d,), w[v + "post_layernorm.weight"], w[v + "post_layernorm.bias"], 1e-6)
    # SiglipMultiheadAttentionPoolingHead: nn.MultiheadAttention(probe, t, t)
    h = v + "head."
    B = t.shape[0]
    wq, wk, wv = w[h + "attention.in_proj_weight"].chunk(3)
    bq, bk, bv = w[h + "attention.in_proj_bias"].chunk(3)
    probe = w[h + "probe"].expand(B, -1, -1)
    q = F.linear(probe, wq, bq).reshape(B, 1, HEADS, HD).transpose(1, 2)
    k = F.linear(t, wk, bk).reshape(B, N, HEADS, HD).transpose(1, 2)
    vv = F.linear(t, wv, bv).reshape(B, N, HEADS, HD).transpose(1, 2)
    pool = torch.softmax(q @ k.transpose(-2, -1) * HD ** -0.5, dim=-1)  # (B, H, 1, N)
    o = (pool @ vv).transpose(1, 2).reshape(B, 1, WIDTH)
    o = F.linear(o, w[h + "attention.out_proj.weight"], w[h + "attention.out_proj.bias"])
    y = F.layer_norm(o, (d,), w[h + "layernorm.weight"], w[h + "layernorm.bias"], 1e-6)
    o = o + F.linear(gelu_tanh(F.linear(y, w[h + "mlp.fc1.weight"], w[h + "mlp.fc1.bias"])), w[h + "mlp.fc2.weight"], w[h + "mlp.fc2.bias"])
    return o[:, 0], attns, pool.mean(1)[:, 0]


def timm_layout(w):
    v = "vision_model."
    out = {
        "patch_embed.proj.weight": w[v + "embeddings.patch_embedding.weight"],
        "patch_embed.proj.bias": w[v + "embeddings.patch_embedding.bias"],
        "pos_embed": w[v + "embeddings.position_embedding.weight"].unsqueeze(0),
        "norm.weight": w[v + "post_layernorm.weight"], "norm.bias": w[v + "post_layernorm.bias"],
        "attn_pool.latent": w[v + "head.probe"],
        "attn_pool.q.weight": w[v + "head.attention.in_proj_weight"][:WIDTH].contiguous(),
        "attn_pool.q.bias": w[v + "head.attention.in_proj_bias"][:WIDTH].contiguous(),
        "attn_pool.kv.weight": w[v + "head.attention.in_proj_weight"][WIDTH:].contiguous(),
        "attn_pool.kv.bias": w[v + "head.attention.in_proj_bias"][WIDTH:].contiguous(),
        "attn_pool.proj.weight": w[v + "head.attention.out_proj.weight"], "attn_pool.proj.bias": w[v + "head.attention.out_proj.bias"],
        "attn_pool.norm.weight": w[v + "head.layernorm.weight"], "attn_pool.norm.bias": w[v + "head.layernorm.bias"],
    }
    for n in ("fc1", "fc2"):
        out[f"attn_pool.mlp.{n}.weight"] = w[v + f"head.mlp.{n}.weight"]
        out[f"attn_pool.mlp.{n}.bias"] = w[v + f"head.mlp.{n}.bias"]
    for i in range(LAYERS):
        p, b = f"{v}encoder.layers.{i}.", f"blocks.{i}."
        out[b + "attn.qkv.weight"] = torch.cat([w[p + f"self_attn.{n}_proj.weight"] for n in ("q", "k", "v")])
        out[b + "attn.qkv.bias"] = torch.cat([w[p + f"self_attn.{n}_proj.bias"] for n in ("q", "k", "v")])
        for a, c in (("self_attn.out_proj", "attn.proj"), ("layer_norm1", "norm1"), ("layer_norm2", "norm2"), ("mlp.fc1", "mlp.fc1"), ("mlp.fc2", "mlp.fc2")):
            out[b + c + ".weight"] = w[p + a + ".weight"]
            out[b + c + ".bias"] = w[p + a + ".bias"]
    return out


def main():
    g = torch.Generator().manual_seed(15)
    w = random_weights(g)
    for sub in ("hf", "timm"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    write_safetensors(os.path.join(OUT, "hf", "model.safetensors"), w, {"format": "pt"})
    with open(os.path.join(OUT, "hf", "config.json"), "w") as f:
        json.dump({
            "architectures": ["SiglipModel"], "initializer_factor": 1.0, "model_type": "siglip", "torch_dtype": "float32",
            "text_config": {"hidden_size": TEXT_WIDTH, "intermediate_size": 4 * TEXT_WIDTH, "num_attention_heads": 1,
                            "num_hidden_layers": 0, "max_position_embeddings": CONTEXT, "vocab_size": VOCAB, "model_type": "siglip_text_model"},
            "vision_config": {"hidden_size": WIDTH, "intermediate_size": 4 * WIDTH, "num_attention_heads": HEADS,
                              "num_hidden_layers": LAYERS, "image_size": IMG, "patch_size": PATCH, "num_channels": 3,
                              "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-06, "model_type": "siglip_vision_model"},
        }, f, indent=2)
    with open(os.path.join(OUT, "hf", "preprocessor_config.json"), "w") as f:
        json.dump({"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
                   "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5], "processor_class": "SiglipProcessor",
                   "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": IMG, "width": IMG}}, f, indent=2)
    write_safetensors(os.path.join(OUT, "timm", "model.safetensors"), timm_layout(w))
    with open(os.path.join(OUT, "timm", "config.json"), "w") as f:
        json.dump({
            "architecture": "vit_base_patch16_siglip_224", "num_classes": 0, "num_features": WIDTH, "global_pool": "map",
            "model_args": {"img_size": IMG, "patch_size": PATCH, "embed_dim": WIDTH, "depth": LAYERS, "num_heads": HEADS},
            "pretrained_cfg": {"tag": "webli", "custom_load": False, "input_size": [3, IMG, IMG], "fixed_input_size": True,
                               "interpolation": "bicubic", "crop_pct": 0.9, "crop_mode": "center", "mean": [0.5, 0.5, 0.5],
                               "std": [0.5, 0.5, 0.5], "num_classes": 0, "pool_size": None, "first_conv": "patch_embed.proj", "classifier": "head"},
        }, f, indent=2)
    text = torch.randn(CLASSES, WIDTH, generator=g)
    np.save(os.path.join(OUT, "text.npy"), text.numpy().astype(np.float32))
    # the same rows with the head's scale and bias, for towers that do not hold them (timm)
    write_safetensors(os.path.join(OUT, "text.safetensors"),
                      {"text_embeddings": text, "logit_scale": torch.tensor([LOGIT_SCALE]), "logit_bias": torch.tensor([LOGIT_BIAS])})
    with open(os.path.join(OUT, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    x = torch.randn(1, 3, IMG, IMG, generator=g).requires_grad_(True)
    np.save(os.path.join(OUT, "input.npy"), x.detach().numpy().astype(np.float32))
    features, attns, pool = encode_image(w, x)
    i = features / features.norm(dim=-1, keepdim=True)
    t = text / text.norm(dim=-1, keepdim=True)
    logits = i @ t.T * w["logit_scale"].exp() + w["logit_bias"]
    target = int(logits.argmax())
    logits[0, target].backward()
    np.save(os.path.join(OUT, "embedding.npy"), features.detach().numpy().astype(np.float32))
    np.save(os.path.join(OUT, "logits.npy"), logits.detach().numpy().astype(np.float32))
    np.save(os.path.join(OUT, "attention.npy"), torch.stack([a.detach() for a in attns]).numpy().astype(np.float32))
    np.save(os.path.join(OUT, "pool_attention.npy"), pool.detach().numpy().astype(np.float32))
    np.save(os.path.join(OUT, "input_gradient.npy"), x.grad.numpy().astype(np.float32))
    print("target", target, "logits", logits.detach().numpy().round(4), "sigmoid", torch.sigmoid(logits).detach().numpy().round(4))


if __name__ == "__main__":
    main()
