"""Tiny CLIP image encoders in three key layouts, and what PyTorch computes on them (zero-shot logits, attention, an input gradient).

The forward is written here from the libraries' sources, not imported (open_clip, timm and transformers are not installed):
- open_clip (mlfoundations/open_clip @ c8be23184250394b387a6308c567812b50770ef4), src/open_clip/transformer.py,
  VisionTransformer.forward: conv1 (bias=False), class_embedding prepended, positional_embedding added, ln_pre,
  ResidualAttentionBlock x L (x + attn(ln_1(x)), x + mlp(ln_2(x)); nn.MultiheadAttention with in_proj_weight rows q, k, v;
  mlp c_fc -> act -> c_proj; act QuickGELU when model_cfg.quick_gelu else nn.GELU), ln_post on the class token, @ proj.
  heads = width // head_width. LayerNorm eps 1e-5 (torch default). src/open_clip/model.py, CLIP.forward: image and text
  features L2-normalised, logits = logit_scale.exp() * image @ text.T.
- transformers (huggingface/transformers @ 679021a6b0ded09d623a96e2bd2f822c5a548872), models/clip/modeling_clip.py:
  CLIPVisionEmbeddings (patch_embedding bias=False, class_embedding, position_embedding), pre_layrnorm, CLIPEncoderLayer
  (layer_norm1, self_attn q/k/v/out_proj with scale head_dim**-0.5, layer_norm2, mlp fc1/fc2 with ACT2FN[hidden_act]),
  post_layernorm on the class token, visual_projection (bias=False), CLIPModel.forward: logit_scale.exp() * cos.
- timm (huggingface/pytorch-image-models @ 94567641e33d5c16b2262ccbec33f2a603e612ed), models/vision_transformer.py:
  vit_base_patch16_clip_quickgelu_224 (pre_norm=True -> norm_pre, patch_embed bias=not pre_norm, act_layer="quick_gelu",
  norm_layer=nn.LayerNorm), _convert_openai_clip (proj -> head.weight transposed, head.bias zeros, ln_post -> norm).

One set of random weights is written in all three layouts with the real repos' key names (F32; HF keeps the int64
position_ids buffers the converted openai checkpoints carry; the text towers are present, and ignored by an image encoder):
  openclip/  open_clip_model.safetensors + open_clip_config.json (laion/CLIP-ViT-B-32-laion2B-s34B-b79K style: GELU)
  hf/        model.safetensors + config.json (model_type clip, hidden_act quick_gelu) + preprocessor_config.json
  timm/      model.safetensors + config.json (architecture vit_base_patch16_clip_quickgelu_224.openai style, pretrained_cfg, num_classes = E)
Expected outputs for both activations (quickgelu_*, gelu_*): image embedding, logits from text.npy, attention, input gradient.

Run from the repository root:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/clip.py
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = "tests/Vitmix.Tests/Model/ImageText/Clip"
IMG, PATCH, WIDTH, LAYERS, HEAD_WIDTH, EMBED, CLASSES = 32, 8, 32, 2, 16, 24, 5
HEADS = WIDTH // HEAD_WIDTH
TEXT_WIDTH, TEXT_LAYERS, VOCAB, CONTEXT = 16, 1, 10, 7
LOGIT_SCALE = math.log(100.0)  # the value OpenAI's released checkpoints hold (clamped at 100)
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
LABELS = ["cat", "dog", "car", "tree", "house"]


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = {np.float32: "F32", np.int64: "I64"}[a.dtype.type]
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def random_weights(g):
    """open_clip names (the OpenAI layout), visual tower and a tiny text tower."""
    def r(*shape, s=0.2):
        return torch.randn(*shape, generator=g) * s
    n = (IMG // PATCH) ** 2 + 1
    w = {
        "visual.class_embedding": r(WIDTH, s=0.5),
        "visual.positional_embedding": r(n, WIDTH, s=0.3),
        "visual.proj": r(WIDTH, EMBED, s=0.3),
        "visual.conv1.weight": r(WIDTH, 3, PATCH, PATCH, s=0.1),
        "visual.ln_pre.weight": 1 + r(WIDTH, s=0.1), "visual.ln_pre.bias": r(WIDTH, s=0.1),
        "visual.ln_post.weight": 1 + r(WIDTH, s=0.1), "visual.ln_post.bias": r(WIDTH, s=0.1),
    }
    for i in range(LAYERS):
        p = f"visual.transformer.resblocks.{i}."
        w.update({
            p + "ln_1.weight": 1 + r(WIDTH, s=0.1), p + "ln_1.bias": r(WIDTH, s=0.1),
            p + "attn.in_proj_weight": r(3 * WIDTH, WIDTH), p + "attn.in_proj_bias": r(3 * WIDTH, s=0.1),
            p + "attn.out_proj.weight": r(WIDTH, WIDTH), p + "attn.out_proj.bias": r(WIDTH, s=0.1),
            p + "ln_2.weight": 1 + r(WIDTH, s=0.1), p + "ln_2.bias": r(WIDTH, s=0.1),
            p + "mlp.c_fc.weight": r(4 * WIDTH, WIDTH), p + "mlp.c_fc.bias": r(4 * WIDTH, s=0.1),
            p + "mlp.c_proj.weight": r(WIDTH, 4 * WIDTH, s=0.1), p + "mlp.c_proj.bias": r(WIDTH, s=0.1),
        })
    text = {
        "token_embedding.weight": r(VOCAB, TEXT_WIDTH), "positional_embedding": r(CONTEXT, TEXT_WIDTH),
        "ln_final.weight": 1 + r(TEXT_WIDTH, s=0.1), "ln_final.bias": r(TEXT_WIDTH, s=0.1),
        "text_projection": r(TEXT_WIDTH, EMBED),
    }
    for i in range(TEXT_LAYERS):
        p = f"transformer.resblocks.{i}."
        text.update({
            p + "ln_1.weight": 1 + r(TEXT_WIDTH, s=0.1), p + "ln_1.bias": r(TEXT_WIDTH, s=0.1),
            p + "attn.in_proj_weight": r(3 * TEXT_WIDTH, TEXT_WIDTH), p + "attn.in_proj_bias": r(3 * TEXT_WIDTH, s=0.1),
            p + "attn.out_proj.weight": r(TEXT_WIDTH, TEXT_WIDTH), p + "attn.out_proj.bias": r(TEXT_WIDTH, s=0.1),
            p + "ln_2.weight": 1 + r(TEXT_WIDTH, s=0.1), p + "ln_2.bias": r(TEXT_WIDTH, s=0.1),
            p + "mlp.c_fc.weight": r(4 * TEXT_WIDTH, TEXT_WIDTH), p + "mlp.c_fc.bias": r(4 * TEXT_WIDTH, s=0.1),
            p + "mlp.c_proj.weight": r(TEXT_WIDTH, 4 * TEXT_WIDTH), p + "mlp.c_proj.bias": r(TEXT_WIDTH, s=0.1),
        })
    w.update(text)
    w["logit_scale"] = torch.tensor(LOGIT_SCALE, dtype=torch.float32)
    return w


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def encode_image(w, x, act):
    """open_clip VisionTransformer.forward (attn_mask None, pool 'tok', final_ln_after_pool False), and the image features."""
    d = WIDTH
    t = F.conv2d(x, w["visual.conv1.weight"], None, stride=PATCH).flatten(2).transpose(1, 2)
    cls = w["visual.class_embedding"].expand(x.shape[0], 1, -1)
    t = torch.cat([cls, t], dim=1) + w["visual.positional_embedding"]
    t = F.layer_norm(t, (d,), w["visual.ln_pre.weight"], w["visual.ln_pre.bias"], 1e-5)
    attns = []
    for i in range(LAYERS):
        p = f"visual.transformer.resblocks.{i}."
        y = F.layer_norm(t, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-5)
        q, k, v = F.linear(y, w[p + "attn.in_proj_weight"], w[p + "attn.in_proj_bias"]).chunk(3, dim=-1)
        B, N, _ = q.shape
        q, k, v = (z.reshape(B, N, HEADS, HEAD_WIDTH).transpose(1, 2) for z in (q, k, v))
        a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(HEAD_WIDTH), dim=-1)
        a.retain_grad()
        attns.append(a)
        o = (a @ v).transpose(1, 2).reshape(B, N, d)
        t = t + F.linear(o, w[p + "attn.out_proj.weight"], w[p + "attn.out_proj.bias"])
        y = F.layer_norm(t, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-5)
        h = act(F.linear(y, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"]))
        t = t + F.linear(h, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"])
    pooled = F.layer_norm(t[:, 0], (d,), w["visual.ln_post.weight"], w["visual.ln_post.bias"], 1e-5)
    return pooled @ w["visual.proj"], attns


def zero_shot_logits(image_features, text, logit_scale):
    """open_clip CLIP.forward / transformers CLIPModel.forward: scale.exp() * normalised image @ normalised text.T."""
    i = image_features / image_features.norm(dim=-1, keepdim=True)
    t = text / text.norm(dim=-1, keepdim=True)
    return logit_scale.exp() * i @ t.T


def hf_layout(w):
    out = {
        "vision_model.embeddings.class_embedding": w["visual.class_embedding"],
        "vision_model.embeddings.patch_embedding.weight": w["visual.conv1.weight"],
        "vision_model.embeddings.position_embedding.weight": w["visual.positional_embedding"],
        "vision_model.embeddings.position_ids": torch.arange((IMG // PATCH) ** 2 + 1).unsqueeze(0),
        "vision_model.pre_layrnorm.weight": w["visual.ln_pre.weight"], "vision_model.pre_layrnorm.bias": w["visual.ln_pre.bias"],
        "vision_model.post_layernorm.weight": w["visual.ln_post.weight"], "vision_model.post_layernorm.bias": w["visual.ln_post.bias"],
        "visual_projection.weight": w["visual.proj"].T.contiguous(),
        "logit_scale": w["logit_scale"],
        "text_model.embeddings.token_embedding.weight": w["token_embedding.weight"],
        "text_model.embeddings.position_embedding.weight": w["positional_embedding"],
        "text_model.embeddings.position_ids": torch.arange(CONTEXT).unsqueeze(0),
        "text_model.final_layer_norm.weight": w["ln_final.weight"], "text_model.final_layer_norm.bias": w["ln_final.bias"],
        "text_projection.weight": w["text_projection"].T.contiguous(),
    }
    for tower, src, n in (("vision_model", "visual.transformer", LAYERS), ("text_model", "transformer", TEXT_LAYERS)):
        for i in range(n):
            s, p = f"{src}.resblocks.{i}.", f"{tower}.encoder.layers.{i}."
            for part, name in zip(w[s + "attn.in_proj_weight"].chunk(3), ("q", "k", "v")):
                out[p + f"self_attn.{name}_proj.weight"] = part.contiguous()
            for part, name in zip(w[s + "attn.in_proj_bias"].chunk(3), ("q", "k", "v")):
                out[p + f"self_attn.{name}_proj.bias"] = part.contiguous()
            for a, b in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                         ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
                out[p + b + ".weight"] = w[s + a + ".weight"]
                out[p + b + ".bias"] = w[s + a + ".bias"]
    return out


def timm_layout(w):
    """timm's _convert_openai_clip applied to the visual tower."""
    swaps = [("conv1", "patch_embed.proj"), ("positional_embedding", "pos_embed"), ("transformer.resblocks.", "blocks."),
             ("ln_pre", "norm_pre"), ("ln_post", "norm"), ("ln_", "norm"), ("in_proj_", "qkv."), ("out_proj", "proj"),
             ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")]
    out = {}
    for k, v in w.items():
        if not k.startswith("visual."):
            continue
        k = k[len("visual."):]
        for a, b in swaps:
            k = k.replace(a, b)
        if k == "proj":
            k, v = "head.weight", v.T.contiguous()
            out["head.bias"] = torch.zeros(v.shape[0])
        elif k == "class_embedding":
            k, v = "cls_token", v.reshape(1, 1, -1)
        elif k == "pos_embed":
            v = v.unsqueeze(0)
        out[k] = v
    return out


def main():
    g = torch.Generator().manual_seed(14)
    w = random_weights(g)
    for sub in ("openclip", "hf", "timm"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)

    write_safetensors(os.path.join(OUT, "openclip", "open_clip_model.safetensors"), w)
    # open_clip_config.json as open_clip's push_to_hf_hub writes it (hf_hub.py save_config_for_hf): model_cfg, preprocess_cfg
    with open(os.path.join(OUT, "openclip", "open_clip_config.json"), "w") as f:
        json.dump({
            "model_cfg": {
                "embed_dim": EMBED,
                "vision_cfg": {"image_size": IMG, "layers": LAYERS, "width": WIDTH, "head_width": HEAD_WIDTH, "patch_size": PATCH},
                "text_cfg": {"context_length": CONTEXT, "vocab_size": VOCAB, "width": TEXT_WIDTH, "heads": 1, "layers": TEXT_LAYERS},
            },
            "preprocess_cfg": {"mean": MEAN, "std": STD},
        }, f, indent=2)

    write_safetensors(os.path.join(OUT, "hf", "model.safetensors"), hf_layout(w), {"format": "pt"})
    with open(os.path.join(OUT, "hf", "config.json"), "w") as f:
        json.dump({
            "architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
            "model_type": "clip", "projection_dim": EMBED, "torch_dtype": "float32",
            "text_config": {"hidden_size": TEXT_WIDTH, "intermediate_size": 4 * TEXT_WIDTH, "num_attention_heads": 1,
                            "num_hidden_layers": TEXT_LAYERS, "max_position_embeddings": CONTEXT, "vocab_size": VOCAB,
                            "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "model_type": "clip_text_model",
                            "projection_dim": EMBED},
            "vision_config": {"hidden_size": WIDTH, "intermediate_size": 4 * WIDTH, "num_attention_heads": HEADS,
                              "num_hidden_layers": LAYERS, "image_size": IMG, "patch_size": PATCH, "num_channels": 3,
                              "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "model_type": "clip_vision_model",
                              "projection_dim": EMBED},
        }, f, indent=2)
    with open(os.path.join(OUT, "hf", "preprocessor_config.json"), "w") as f:
        json.dump({"crop_size": IMG, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                   "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": MEAN, "image_std": STD,
                   "resample": 3, "size": IMG}, f, indent=2)

    write_safetensors(os.path.join(OUT, "timm", "model.safetensors"), timm_layout(w))
    with open(os.path.join(OUT, "timm", "config.json"), "w") as f:
        json.dump({
            "architecture": "vit_base_patch16_clip_quickgelu_224", "num_classes": EMBED, "num_features": WIDTH, "global_pool": "token",
            "model_args": {"img_size": IMG, "patch_size": PATCH, "embed_dim": WIDTH, "depth": LAYERS, "num_heads": HEADS},
            "pretrained_cfg": {"tag": "openai", "custom_load": False, "input_size": [3, IMG, IMG], "fixed_input_size": True,
                               "interpolation": "bicubic", "crop_pct": 1.0, "crop_mode": "center", "mean": MEAN, "std": STD,
                               "num_classes": EMBED, "pool_size": None, "first_conv": "patch_embed.proj", "classifier": "head"},
        }, f, indent=2)

    text = torch.randn(CLASSES, EMBED, generator=g)
    np.save(os.path.join(OUT, "text.npy"), text.numpy().astype(np.float32))
    with open(os.path.join(OUT, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    x = torch.randn(1, 3, IMG, IMG, generator=g)
    np.save(os.path.join(OUT, "input.npy"), x.numpy().astype(np.float32))

    for name, act in (("quickgelu", quick_gelu), ("gelu", F.gelu)):
        xi = x.clone().requires_grad_(True)
        features, attns = encode_image(w, xi, act)
        logits = zero_shot_logits(features, text, w["logit_scale"])
        target = int(logits.argmax())
        logits[0, target].backward()
        np.save(os.path.join(OUT, f"{name}_embedding.npy"), features.detach().numpy().astype(np.float32))
        np.save(os.path.join(OUT, f"{name}_logits.npy"), logits.detach().numpy().astype(np.float32))
        np.save(os.path.join(OUT, f"{name}_attention.npy"), torch.stack([a.detach() for a in attns]).numpy().astype(np.float32))
        np.save(os.path.join(OUT, f"{name}_input_gradient.npy"), xi.grad.numpy().astype(np.float32))
        print(name, "target", target, "logits", logits.detach().numpy().round(4))


if __name__ == "__main__":
    main()
