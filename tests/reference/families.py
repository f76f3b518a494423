"""Tiny random checkpoints of the ViT families in their real layouts, and the outputs PyTorch computes for them.

Each family and layout is a folder under tests/Vitmix.Tests/Model/Families/NAME/ holding model.safetensors (with
exactly the key names, shapes and dtype of the real hub repository, at tiny sizes), config.json (and
preprocessor_config.json for Hugging Face), and expected/*.npy:

  timm-dinov2       timm vit_base_patch14_dinov2.lvd142m layout: cls_token, pos_embed over class + patches,
                    blocks.N.ls1.gamma / ls2.gamma, norm, no head (the hub checkpoint has num_classes=0).
  timm-dinov2-reg4  timm vit_small_patch14_reg4_dinov2.lvd142m layout: + reg_token (1, 4, D), no_embed_class
                    (timm's _convert_dinov2 folded the class token's position row into cls_token), no head.
  hf-dinov2         transformers Dinov2ForImageClassification (facebook/dinov2-small-imagenet1k-1-layer): dinov2.*,
                    q/k/v separate, layer_scale1.lambda1, classifier over cat(cls, mean of patch tokens) (2D wide).
  hf-dinov2-reg4    transformers Dinov2WithRegistersForImageClassification
                    (facebook/dinov2-with-registers-small-imagenet1k-1-layer): dinov2_with_registers.*,
                    embeddings.register_tokens, position embeddings over class + patches only, registers excluded
                    from the classifier's patch mean.
  timm-deit3        timm deit3_base_patch16_224.fb_in1k layout (deit.py: no_embed_class, init_values 1e-6):
                    ls1/ls2.gamma, pos_embed over the patches only, head on the class token.
  timm-mae          timm vit_base_patch16_224.mae: MAE's pretrained encoder as timm ships it (pretrained_cfg
                    num_classes=0, no head, global_pool 'token'), a feature model.
  timm-beit         timm beit_base_patch16_224.in22k_ft_in22k_in1k layout (beit.py): no pos_embed, attn.qkv.weight
                    without bias plus attn.q_bias / attn.v_bias (k bias zero), attn.relative_position_bias_table per
                    block and its int64 relative_position_index buffer, gamma_1 / gamma_2, fc_norm over the patch mean.
  hf-beit           transformers BeitForImageClassification (microsoft/beit-base-patch16-224): beit.*, query (with
                    bias), key (no bias), value (with bias), attention.attention.relative_position_bias.{table, index},
                    lambda_1 / lambda_2, layernorm_before / _after, beit.pooler.layernorm over the patch mean, classifier.
  hf-data2vec       transformers Data2VecVisionForImageClassification (facebook/data2vec-vision-base-ft1k layout):
                    the BEiT layout under data2vec_vision.*, here with use_shared_relative_position_bias=True (one
                    table, data2vec_vision.encoder.relative_position_bias.*, as BEiT-style pre-training checkpoints
                    store it) so that the shared path is checked too.
  timm-avg-fcnorm   timm VisionTransformer with global_pool='avg' and fc_norm (the MAE fine-tuning recipe's head:
                    mean of the patch tokens, then fc_norm, then head; no final norm).

The forwards are written from the libraries' sources, not imported (neither is installable here):
  timm       timm/models/vision_transformer.py at commit 0041cb7ba4ab3b8b3bce5bf105300f0ee57ffc22: VisionTransformer
             _pos_embed (no_embed_class: add, then prepend cls + reg; else prepend, then add), Block (x + ls1(attn(
             norm1(x))), x + ls2(mlp(norm2(x)))), Attention (fused qkv, softmax(q k^T * hd^-0.5) v, proj), final norm,
             global_pool 'token', num_classes 0 (head = Identity). vit_*_patch14_dinov2 / _reg4_dinov2 model_args.
  timm BEiT  timm/models/beit.py at commit 0173a139a2c66db3a41ebfe1d8ac4fb02483642e: gen_relative_position_index,
             Attention (qkv bias cat(q_bias, zeros, v_bias); attn = q*scale @ k^T + rel_pos_bias; softmax), Block
             (x + gamma_1 * attn(norm1(x)), x + gamma_2 * mlp(norm2(x))), Beit.forward_head (global_pool 'avg':
             mean of x[:, 1:], fc_norm, head).
  HF BEiT    transformers src/transformers/models/beit/modeling_beit.py (BeitSelfAttention: scores / sqrt(head size) +
             relative_position_bias; BeitLayer: lambda_1 * attention(layernorm_before(x)) + x, lambda_2 *
             output(intermediate(layernorm_after(x))) + x; BeitModel.layernorm Identity with use_mean_pooling;
             BeitPooler: layernorm(hidden_states[:, 1:].mean(1)); BeitForImageClassification: classifier(pooler)):
             the same computation as timm's Beit, so beit_forward serves both on renamed tensors.
  HF DINOv2  transformers src/transformers/models/dinov2/modeling_dinov2.py at commit
             158e70c2857061643c9de3b66cc5af6d84eed73e: Dinov2Embeddings.interpolate_pos_encoding (bicubic,
             align_corners=False, scale_factor = (new + 0.1) / old), Dinov2Layer (norm1, attention, layer_scale1,
             residual, norm2, mlp, layer_scale2, residual), layernorm, Dinov2ForImageClassification
             (classifier(cat(cls, patch_tokens.mean(1)))).
  HF DINOv2 with registers  modeling_dinov2_with_registers.py at commit c80ba31e87714532ac74178a6d5fa416e76a5c21:
             interpolate_pos_encoding with size=(new) and antialias=True; register tokens inserted after the position
             embedding is added; the classifier's patch mean over sequence_output[:, 1 + num_register_tokens:] as in
             transformers' current modular_dinov2_with_registers.py ("cls and register tokens should not be included").

The Hugging Face checkpoints store position embeddings for a 5x5 grid (image_size 70) and their processors crop to
56, so the model runs at a 4x4 grid through each library's interpolation, as the real ones store 518 and run at 224.

Expected outputs, for a batch of two normalised inputs (input.npy, (2, 3, 56, 56)): logits.npy (2, K) (the features
for the headless timm models), attn_L.npy (2, H, N, N) per block, grad.npy (2, 3, 56, 56): d logits[s, argmax_s] /
d input, summed over the two samples (each sample's logit depends on its own input only).

Run from the repository root (Debian's python3-torch):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/families.py
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = "tests/Vitmix.Tests/Model/Families"
D, DEPTH, HEADS, MLP, PATCH, REG, CLASSES = 24, 2, 2, 96, 14, 4, 5
RUN = 56          # input size the tests run at (4x4 patches)
HF_STORED = 70    # Hugging Face position embeddings stored for 5x5 patches, interpolated to 4x4
EPS = 1e-6
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def write_safetensors(path, tensors):
    """safetensors: u64 header length, JSON header (dtype, shape, data_offsets), then the raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach()
        integer = not t.is_floating_point()
        a = np.ascontiguousarray(t.numpy().astype("<i8" if integer else "<f4"))
        header[name] = {"dtype": "I64" if integer else "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def rand(g, *shape, scale=0.2, mean=0.0):
    # rounded to float32, the precision the checkpoint stores, before the float64 reference uses it
    return (torch.randn(*shape, generator=g) * scale + mean).float().double()


def block_params(g):
    """One block's tensors in timm's names (q, k, v fused as rows of qkv)."""
    return {
        "norm1.weight": rand(g, D, scale=0.1, mean=1.0), "norm1.bias": rand(g, D, scale=0.1),
        "attn.qkv.weight": rand(g, 3 * D, D, scale=0.25), "attn.qkv.bias": rand(g, 3 * D, scale=0.1),
        "attn.proj.weight": rand(g, D, D, scale=0.2), "attn.proj.bias": rand(g, D, scale=0.1),
        "ls1.gamma": rand(g, D, scale=0.25, mean=1.0),
        "norm2.weight": rand(g, D, scale=0.1, mean=1.0), "norm2.bias": rand(g, D, scale=0.1),
        "mlp.fc1.weight": rand(g, MLP, D, scale=0.2), "mlp.fc1.bias": rand(g, MLP, scale=0.1),
        "mlp.fc2.weight": rand(g, D, MLP, scale=0.1), "mlp.fc2.bias": rand(g, D, scale=0.1),
        "ls2.gamma": rand(g, D, scale=0.25, mean=1.0),
    }


def attention(x, p, attns):
    b, n, _ = x.shape
    hd = D // HEADS
    qkv = F.linear(x, p["attn.qkv.weight"], p["attn.qkv.bias"]).reshape(b, n, 3, HEADS, hd).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    a = ((q * hd ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
    attns.append(a)
    return F.linear((a @ v).transpose(1, 2).reshape(b, n, D), p["attn.proj.weight"], p["attn.proj.bias"])


def block(x, p, attns):
    x = x + p.get("ls1.gamma", 1.0) * attention(F.layer_norm(x, (D,), p["norm1.weight"], p["norm1.bias"], EPS), p, attns)
    h = F.linear(F.layer_norm(x, (D,), p["norm2.weight"], p["norm2.bias"], EPS), p["mlp.fc1.weight"], p["mlp.fc1.bias"])
    return x + p.get("ls2.gamma", 1.0) * F.linear(F.gelu(h), p["mlp.fc2.weight"], p["mlp.fc2.bias"])


def timm_forward(w, x, registers, no_embed_class, patch=PATCH, pool="token"):
    """timm VisionTransformer.forward_features + forward_head (pool, fc_norm, head; head Identity when absent)."""
    attns = []
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch).flatten(2).transpose(1, 2)
    b = x.shape[0]
    prefix = [w["cls_token"].expand(b, -1, -1)] + ([w["reg_token"].expand(b, -1, -1)] if registers else [])
    if no_embed_class:
        t = torch.cat(prefix + [t + w["pos_embed"]], dim=1)
    else:
        t = torch.cat(prefix + [t], dim=1) + w["pos_embed"]
    for i in range(DEPTH):
        t = block(t, {k[len(f"blocks.{i}."):]: v for k, v in w.items() if k.startswith(f"blocks.{i}.")}, attns)
    if "norm.weight" in w:
        t = F.layer_norm(t, (D,), w["norm.weight"], w["norm.bias"], EPS)
    prefix_tokens = 1 + (REG if registers else 0)
    t = t[:, prefix_tokens:].mean(dim=1) if pool == "avg" else t[:, 0]
    if "fc_norm.weight" in w:
        t = F.layer_norm(t, (D,), w["fc_norm.weight"], w["fc_norm.bias"], EPS)
    if "head.weight" in w:
        t = F.linear(t, w["head.weight"], w["head.bias"])
    return t, attns


def hf_forward(w, x, registers):
    """Dinov2[WithRegisters]ForImageClassification.forward on timm-named block tensors (see hf_names for the keys)."""
    attns = []
    b, _, hh, ww = x.shape
    t = F.conv2d(x, w["patch"], w["patch_bias"], stride=PATCH).flatten(2).transpose(1, 2)
    t = torch.cat([w["cls"].expand(b, -1, -1), t], dim=1)
    pos = w["pos"]
    old = int(round((pos.shape[1] - 1) ** 0.5))
    gh, gw = hh // PATCH, ww // PATCH
    if not (gh * gw == pos.shape[1] - 1 and hh == ww):
        grid = pos[:, 1:].reshape(1, old, old, D).permute(0, 3, 1, 2)
        if registers:
            grid = F.interpolate(grid, size=(gh, gw), mode="bicubic", align_corners=False, antialias=True)
        else:
            grid = F.interpolate(grid, scale_factor=(float((gh + 0.1) / old), float((gw + 0.1) / old)), mode="bicubic", align_corners=False)
        pos = torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, D)], dim=1)
    t = t + pos
    if registers:
        t = torch.cat([t[:, :1], w["reg"].expand(b, -1, -1), t[:, 1:]], dim=1)
    for i in range(DEPTH):
        t = block(t, w["blocks"][i], attns)
    t = F.layer_norm(t, (D,), w["norm.weight"], w["norm.bias"], EPS)
    first = 1 + (REG if registers else 0)
    pooled = torch.cat([t[:, 0], t[:, first:].mean(dim=1)], dim=1)
    return F.linear(pooled, w["classifier.weight"], w["classifier.bias"]), attns


def hf_names(prefix, blocks):
    """The transformers key of every block tensor (q, k, v split out of timm's fused qkv rows)."""
    out = {}
    for i, p in enumerate(blocks):
        l = f"{prefix}encoder.layer.{i}."
        for wb in ("weight", "bias"):
            q, k, v = p[f"attn.qkv.{wb}"].chunk(3, dim=0)
            out[l + f"attention.attention.query.{wb}"] = q
            out[l + f"attention.attention.key.{wb}"] = k
            out[l + f"attention.attention.value.{wb}"] = v
            out[l + f"attention.output.dense.{wb}"] = p[f"attn.proj.{wb}"]
            out[l + f"norm1.{wb}"] = p[f"norm1.{wb}"]
            out[l + f"norm2.{wb}"] = p[f"norm2.{wb}"]
            out[l + f"mlp.fc1.{wb}"] = p[f"mlp.fc1.{wb}"]
            out[l + f"mlp.fc2.{wb}"] = p[f"mlp.fc2.{wb}"]
        out[l + "layer_scale1.lambda1"] = p["ls1.gamma"]
        out[l + "layer_scale2.lambda1"] = p["ls2.gamma"]
    return out


def relative_position_index(gh, gw):
    """timm beit.py gen_relative_position_index: offsets between patches, then cls->token, token->cls, cls->cls."""
    distances = (2 * gh - 1) * (2 * gw - 1)
    ys, xs = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")
    coords = torch.stack([ys.flatten(), xs.flatten()])
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel[:, :, 0] += gh - 1
    rel[:, :, 1] += gw - 1
    rel[:, :, 0] *= 2 * gw - 1
    index = torch.zeros(gh * gw + 1, gh * gw + 1, dtype=torch.long)
    index[1:, 1:] = rel.sum(-1)
    index[0, 0:] = distances
    index[0:, 0] = distances + 1
    index[0, 0] = distances + 2
    return index


def beit_forward(w, x, patch, grid, eps=EPS):
    """timm Beit.forward (use_abs_pos_emb=False, use_rel_pos_bias=True, global_pool 'avg')."""
    attns = []
    b = x.shape[0]
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch).flatten(2).transpose(1, 2)
    t = torch.cat([w["cls_token"].expand(b, -1, -1), t], dim=1)
    n, hd = t.shape[1], D // HEADS
    for i in range(DEPTH):
        p = f"blocks.{i}."
        y = F.layer_norm(t, (D,), w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        bias = torch.cat([w[p + "attn.q_bias"], torch.zeros(D), w[p + "attn.v_bias"]])
        qkv = F.linear(y, w[p + "attn.qkv.weight"], bias).reshape(b, n, 3, HEADS, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        rel = w[p + "attn.relative_position_bias_table"][w[p + "attn.relative_position_index"].view(-1)].view(n, n, -1).permute(2, 0, 1)
        a = ((q * hd ** -0.5) @ k.transpose(-2, -1) + rel[None]).softmax(dim=-1)
        attns.append(a)
        o = F.linear((a @ v).transpose(1, 2).reshape(b, n, D), w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        t = t + w[p + "gamma_1"] * o
        h = F.linear(F.layer_norm(t, (D,), w[p + "norm2.weight"], w[p + "norm2.bias"], eps), w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])
        t = t + w[p + "gamma_2"] * F.linear(F.gelu(h), w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    pooled = F.layer_norm(t[:, 1:].mean(dim=1), (D,), w["fc_norm.weight"], w["fc_norm.bias"], eps)
    return F.linear(pooled, w["head.weight"], w["head.bias"]), attns


def timm_beit(name, seed, x, patch=16):
    g = torch.Generator().manual_seed(seed)
    size = x.shape[-1]
    gs = size // patch
    rows = (2 * gs - 1) ** 2 + 3
    w = {"cls_token": rand(g, 1, 1, D, scale=0.5),
         "patch_embed.proj.weight": rand(g, D, 3, patch, patch, scale=0.05 * 14 / patch), "patch_embed.proj.bias": rand(g, D, scale=0.1),
         "fc_norm.weight": rand(g, D, scale=0.1, mean=1.0), "fc_norm.bias": rand(g, D, scale=0.1),
         "head.weight": rand(g, CLASSES, D, scale=0.3), "head.bias": rand(g, CLASSES, scale=0.1)}
    for i in range(DEPTH):
        p = f"blocks.{i}."
        blk = block_params(g)
        for k in ("norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.proj.weight", "attn.proj.bias", "norm2.weight",
                  "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"):
            w[p + k] = blk[k]
        w[p + "attn.q_bias"], w[p + "attn.v_bias"] = rand(g, D, scale=0.1), rand(g, D, scale=0.1)
        w[p + "gamma_1"], w[p + "gamma_2"] = blk["ls1.gamma"], blk["ls2.gamma"]
        w[p + "attn.relative_position_bias_table"] = rand(g, rows, HEADS, scale=0.5)
        w[p + "attn.relative_position_index"] = relative_position_index(gs, gs)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), w)
    write_json(os.path.join(folder, "config.json"), {
        "architecture": "beit_base_patch16_224", "num_classes": CLASSES, "num_features": D, "global_pool": "avg",
        "model_args": {"patch_size": patch, "embed_dim": D, "depth": DEPTH, "num_heads": HEADS, "mlp_ratio": MLP / D,
                       "use_abs_pos_emb": False, "use_rel_pos_bias": True, "init_values": 0.1, "img_size": size},
        "pretrained_cfg": {"tag": "in22k_ft_in22k_in1k", "custom_load": False, "input_size": [3, size, size],
                           "fixed_input_size": True, "interpolation": "bicubic", "crop_pct": 0.9, "crop_mode": "center",
                           "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "num_classes": CLASSES, "pool_size": None,
                           "first_conv": "patch_embed.proj", "classifier": "head", "license": "apache-2.0"},
        "label_names": [f"label {i}" for i in range(CLASSES)]})
    save_expected(folder, lambda t: beit_forward(w, t, patch, gs), x)


def hf_beit(name, seed, x, patch=16, prefix="beit.", shared=False):
    """BeitForImageClassification (or Data2VecVision...) with a timm Beit's tensors renamed as transformers names them."""
    g = torch.Generator().manual_seed(seed)
    size = x.shape[-1]
    gs = size // patch
    rows = (2 * gs - 1) ** 2 + 3
    w = {"cls_token": rand(g, 1, 1, D, scale=0.5),
         "patch_embed.proj.weight": rand(g, D, 3, patch, patch, scale=0.05 * 14 / patch), "patch_embed.proj.bias": rand(g, D, scale=0.1),
         "fc_norm.weight": rand(g, D, scale=0.1, mean=1.0), "fc_norm.bias": rand(g, D, scale=0.1),
         "head.weight": rand(g, CLASSES, D, scale=0.3), "head.bias": rand(g, CLASSES, scale=0.1)}
    e, tensors = prefix + "embeddings.", {}
    tensors.update({e + "cls_token": w["cls_token"], e + "patch_embeddings.projection.weight": w["patch_embed.proj.weight"],
                    e + "patch_embeddings.projection.bias": w["patch_embed.proj.bias"],
                    prefix + "pooler.layernorm.weight": w["fc_norm.weight"], prefix + "pooler.layernorm.bias": w["fc_norm.bias"],
                    "classifier.weight": w["head.weight"], "classifier.bias": w["head.bias"]})
    table = rand(g, rows, HEADS, scale=0.5) if shared else None
    if shared:
        tensors[prefix + "encoder.relative_position_bias.relative_position_bias_table"] = table
        tensors[prefix + "encoder.relative_position_bias.relative_position_index"] = relative_position_index(gs, gs)
    for i in range(DEPTH):
        p, l = f"blocks.{i}.", f"{prefix}encoder.layer.{i}."
        blk = block_params(g)
        for k in ("norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.proj.weight", "attn.proj.bias", "norm2.weight",
                  "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"):
            w[p + k] = blk[k]
        w[p + "attn.q_bias"], w[p + "attn.v_bias"] = rand(g, D, scale=0.1), rand(g, D, scale=0.1)
        w[p + "gamma_1"], w[p + "gamma_2"] = blk["ls1.gamma"], blk["ls2.gamma"]
        w[p + "attn.relative_position_bias_table"] = table if shared else rand(g, rows, HEADS, scale=0.5)
        w[p + "attn.relative_position_index"] = relative_position_index(gs, gs)
        q, k, v = w[p + "attn.qkv.weight"].chunk(3, dim=0)
        a = l + "attention.attention."
        if not shared:
            tensors.update({a + "relative_position_bias.relative_position_bias_table": w[p + "attn.relative_position_bias_table"],
                            a + "relative_position_bias.relative_position_index": w[p + "attn.relative_position_index"]})
        tensors.update({a + "query.weight": q, a + "query.bias": w[p + "attn.q_bias"], a + "key.weight": k,
                        a + "value.weight": v, a + "value.bias": w[p + "attn.v_bias"],
                        l + "attention.output.dense.weight": w[p + "attn.proj.weight"], l + "attention.output.dense.bias": w[p + "attn.proj.bias"],
                        l + "layernorm_before.weight": w[p + "norm1.weight"], l + "layernorm_before.bias": w[p + "norm1.bias"],
                        l + "layernorm_after.weight": w[p + "norm2.weight"], l + "layernorm_after.bias": w[p + "norm2.bias"],
                        l + "intermediate.dense.weight": w[p + "mlp.fc1.weight"], l + "intermediate.dense.bias": w[p + "mlp.fc1.bias"],
                        l + "output.dense.weight": w[p + "mlp.fc2.weight"], l + "output.dense.bias": w[p + "mlp.fc2.bias"],
                        l + "lambda_1": w[p + "gamma_1"], l + "lambda_2": w[p + "gamma_2"]})
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    # configuration_beit.py / configuration_data2vec_vision.py fields as the hub's config.json writes them
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["BeitForImageClassification" if prefix == "beit." else "Data2VecVisionForImageClassification"],
        "model_type": "beit" if prefix == "beit." else "data2vec-vision", "hidden_size": D,
        "num_hidden_layers": DEPTH, "num_attention_heads": HEADS, "intermediate_size": MLP, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "image_size": size, "patch_size": patch, "num_channels": 3, "use_mask_token": False,
        "use_absolute_position_embeddings": False, "use_relative_position_bias": not shared,
        "use_shared_relative_position_bias": shared, "layer_scale_init_value": 0.1, "drop_path_rate": 0.1,
        "use_mean_pooling": True, "id2label": {str(i): f"label {i}" for i in range(CLASSES)},
        "label2id": {f"label {i}": i for i in range(CLASSES)}})
    write_json(os.path.join(folder, "preprocessor_config.json"), {
        "do_center_crop": False, "do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5], "image_processor_type": "BeitImageProcessor", "resample": 2,
        "size": {"height": size, "width": size}})
    save_expected(folder, lambda t: beit_forward(w, t, patch, gs, eps=1e-12), x)


def save_expected(folder, forward, x):
    os.makedirs(os.path.join(folder, "expected"), exist_ok=True)
    xg = x.clone().requires_grad_(True)
    logits, attns = forward(xg)
    target = logits.argmax(dim=1)
    logits.gather(1, target[:, None]).sum().backward()
    np.save(os.path.join(folder, "expected", "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(folder, "expected", "logits.npy"), logits.detach().numpy().astype(np.float32))
    np.save(os.path.join(folder, "expected", "grad.npy"), xg.grad.numpy().astype(np.float32))
    for i, a in enumerate(attns):
        np.save(os.path.join(folder, "expected", f"attn_{i}.npy"), a.detach().numpy().astype(np.float32))
    print(folder, "logits", logits.detach().numpy().round(4).tolist())


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def timm_family(name, architecture, tag, seed, x, registers=False, no_embed_class=False, patch=PATCH, classes=0,
                pool="token", fc_norm=False, init_values=1e-05):
    g = torch.Generator().manual_seed(seed)
    size = x.shape[-1]
    grid = (size // patch) ** 2
    w = {"cls_token": rand(g, 1, 1, D, scale=0.5),
         "patch_embed.proj.weight": rand(g, D, 3, patch, patch, scale=0.05 * 14 / patch), "patch_embed.proj.bias": rand(g, D, scale=0.1)}
    norm = "fc_norm" if fc_norm else "norm"
    w[norm + ".weight"], w[norm + ".bias"] = rand(g, D, scale=0.1, mean=1.0), rand(g, D, scale=0.1)
    if registers:
        w["reg_token"] = rand(g, 1, REG, D, scale=0.5)
    w["pos_embed"] = rand(g, 1, grid if no_embed_class else 1 + grid + (REG if registers else 0), D, scale=0.3)
    for i in range(DEPTH):
        for k, v in block_params(g).items():
            if init_values is None and k.startswith("ls"):
                continue
            w[f"blocks.{i}.{k}"] = v
    if classes:
        w["head.weight"], w["head.bias"] = rand(g, classes, D, scale=0.3), rand(g, classes, scale=0.1)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), w)
    model_args = {"patch_size": patch, "embed_dim": D, "depth": DEPTH, "num_heads": HEADS, "mlp_ratio": MLP / D,
                  "init_values": init_values, "img_size": size}
    if registers:
        model_args["reg_tokens"] = REG
    if no_embed_class:
        model_args["no_embed_class"] = True
    if fc_norm:
        model_args["fc_norm"] = True
    # timm _hub.py save_config_for_hf: architecture, num_classes, num_features, global_pool, model_args (the tiny
    # sizes), pretrained_cfg (the tag's cfg in vision_transformer.py / deit.py, input_size at the tiny size).
    config = {
        "architecture": architecture, "num_classes": classes, "num_features": D, "global_pool": pool,
        "model_args": model_args,
        "pretrained_cfg": {"tag": tag, "custom_load": False, "input_size": [3, size, size], "fixed_input_size": False,
                           "interpolation": "bicubic", "crop_pct": 1.0 if classes == 0 else 0.9, "crop_mode": "center",
                           "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "num_classes": classes, "pool_size": None,
                           "first_conv": "patch_embed.proj", "classifier": "head", "license": "apache-2.0"}}
    if classes:
        config["label_names"] = [f"label {i}" for i in range(classes)]
    write_json(os.path.join(folder, "config.json"), config)
    save_expected(folder, lambda t: timm_forward(w, t, registers, no_embed_class, patch, pool), x)


def hf_family(name, registers, seed, x):
    g = torch.Generator().manual_seed(seed)
    stored = (HF_STORED // PATCH) ** 2
    blocks = [block_params(g) for _ in range(DEPTH)]
    w = {"cls": rand(g, 1, 1, D, scale=0.5), "pos": rand(g, 1, 1 + stored, D, scale=0.3),
         "patch": rand(g, D, 3, PATCH, PATCH, scale=0.05), "patch_bias": rand(g, D, scale=0.1),
         "norm.weight": rand(g, D, scale=0.1, mean=1.0), "norm.bias": rand(g, D, scale=0.1),
         "classifier.weight": rand(g, CLASSES, 2 * D, scale=0.3), "classifier.bias": rand(g, CLASSES, scale=0.1),
         "blocks": blocks}
    if registers:
        w["reg"] = rand(g, 1, REG, D, scale=0.5)
    prefix = "dinov2_with_registers." if registers else "dinov2."
    e = prefix + "embeddings."
    tensors = {e + "cls_token": w["cls"], e + "mask_token": torch.zeros(1, D), e + "position_embeddings": w["pos"],
               e + "patch_embeddings.projection.weight": w["patch"], e + "patch_embeddings.projection.bias": w["patch_bias"],
               prefix + "layernorm.weight": w["norm.weight"], prefix + "layernorm.bias": w["norm.bias"],
               "classifier.weight": w["classifier.weight"], "classifier.bias": w["classifier.bias"]}
    if registers:
        tensors[e + "register_tokens"] = w["reg"]
    tensors.update(hf_names(prefix, blocks))
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    # configuration_dinov2[_with_registers].py fields as the hub's config.json writes them
    config = {"architectures": ["Dinov2WithRegistersForImageClassification" if registers else "Dinov2ForImageClassification"],
              "model_type": "dinov2_with_registers" if registers else "dinov2",
              "hidden_size": D, "num_hidden_layers": DEPTH, "num_attention_heads": HEADS, "mlp_ratio": MLP // D,
              "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
              "initializer_range": 0.02, "layer_norm_eps": 1e-06, "image_size": HF_STORED, "patch_size": PATCH,
              "num_channels": 3, "qkv_bias": True, "layerscale_value": 1.0, "drop_path_rate": 0.0,
              "use_swiglu_ffn": False, "torch_dtype": "float32",
              "id2label": {str(i): f"label {i}" for i in range(CLASSES)},
              "label2id": {f"label {i}": i for i in range(CLASSES)}}
    if registers:
        config["num_register_tokens"] = REG
    write_json(os.path.join(folder, "config.json"), config)
    # BitImageProcessor as the hub's preprocessor_config.json: shorter side 256 (here 64), centre crop 224 (here 56)
    write_json(os.path.join(folder, "preprocessor_config.json"), {
        "crop_size": {"height": RUN, "width": RUN}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": IMAGENET_MEAN,
        "image_processor_type": "BitImageProcessor", "image_std": IMAGENET_STD, "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 64}})
    save_expected(folder, lambda t: hf_forward(w, t, registers), x)


def dinov2_interpolation():
    """transformers' Dinov2Embeddings.interpolate_pos_encoding on the real grids: 37x37 (518 px) to 16x16 (224 px),
    bicubic, align_corners=False, scale_factor (16 + 0.1) / 37, a (37·37, 3) grid in and (16·16, 3) out."""
    folder = os.path.join(OUT, "interpolation")
    os.makedirs(folder, exist_ok=True)
    grid = torch.randn(1, 37 * 37, 3, generator=torch.Generator().manual_seed(12)).float().double()
    image = grid.reshape(1, 37, 37, 3).permute(0, 3, 1, 2)
    out = F.interpolate(image, scale_factor=(float((16 + 0.1) / 37), float((16 + 0.1) / 37)), mode="bicubic", align_corners=False)
    np.save(os.path.join(folder, "dinov2_37.npy"), grid[0].numpy().astype(np.float32))
    np.save(os.path.join(folder, "dinov2_37_to_16.npy"), np.ascontiguousarray(out.permute(0, 2, 3, 1).reshape(16 * 16, 3).numpy(), dtype=np.float32))


def main():
    torch.set_default_dtype(torch.float64)   # the reference runs in float64; Vitmix in float32
    dinov2_interpolation()
    x = torch.randn(2, 3, RUN, RUN, generator=torch.Generator().manual_seed(7)).float().double()
    timm_family("timm-dinov2", "vit_base_patch14_dinov2", "lvd142m", seed=1, x=x)
    timm_family("timm-dinov2-reg4", "vit_small_patch14_reg4_dinov2", "lvd142m", seed=2, x=x, registers=True, no_embed_class=True)
    hf_family("hf-dinov2", registers=False, seed=3, x=x)
    hf_family("hf-dinov2-reg4", registers=True, seed=4, x=x)
    x64 = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(8)).float().double()
    timm_family("timm-deit3", "deit3_base_patch16_224", "fb_in1k", seed=5, x=x64, patch=16, classes=CLASSES,
                no_embed_class=True, init_values=1e-06)
    timm_family("timm-mae", "vit_base_patch16_224", "mae", seed=6, x=x64, patch=16, init_values=None)
    timm_beit("timm-beit", seed=9, x=x64)
    hf_beit("hf-beit", seed=10, x=x64)
    hf_beit("hf-data2vec", seed=11, x=x64, prefix="data2vec_vision.", shared=True)
    timm_family("timm-avg-fcnorm", "vit_base_patch16_224", "augreg_in21k_ft_in1k", seed=7, x=x64, patch=16, classes=CLASSES,
                pool="avg", fc_norm=True, init_values=None)


if __name__ == "__main__":
    main()
