"""Tiny CLIP text towers in both checkpoint layouts, and the token ids and text embeddings PyTorch gives for them.

Written from the libraries' sources (read, not imported: open_clip, transformers and ftfy are not installable here):
- tokenizer: openai/CLIP clip/simple_tokenizer.py (bytes_to_unicode, get_pairs, SimpleTokenizer.bpe/encode,
  basic_clean, whitespace_clean; commit 0848ed71e5bb5b4eaaa4048364001877630345dc) and clip/clip.py tokenize
  (sot + ids + eot, truncate to the context keeping eot last, pad with 0); Hugging Face CLIPTokenizer
  (models/clip/tokenization_clip.py) reads the same rules from vocab.json + merges.txt
  (merges: file.strip().split("\n")[1:49152-256-2+1]; commit 730f568b3934d5b08d0dd4c8749545c26928fa13) and pads
  with <|endoftext|>.
  basic_clean here is html.unescape twice + strip WITHOUT ftfy.fix_text; every text below is one fix_text leaves
  unchanged (no mojibake, curly quotes, ligatures, fullwidth forms or control characters).
- HF layout: transformers models/clip/modeling_clip.py (commit 679021a6b0ded09d623a96e2bd2f822c5a548872)
  CLIPTextTransformer + CLIPTextModelWithProjection (q scaled by
  head_dim**-0.5, causal mask, pre-norm layers layer_norm1/self_attn/layer_norm2/mlp.fc1/fc2, final_layer_norm,
  pooled = argmax of the ids when eos_token_id == 2 (legacy configs, as openai/clip-vit-base-patch16's) else the first
  eos_token_id, text_projection without bias); config.json text_config fields as CLIPTextConfig names them
  (configuration_clip.py, commit b5af059ac607611600c46a7d1e0df0cae2862d01).
- OpenAI/open_clip layout: openai/CLIP clip/model.py (commit 0845fc462666c43bda82243874b66a0071464510)
  ResidualAttentionBlock with nn.MultiheadAttention and the additive -inf causal mask, encode_text (token_embedding
  + positional_embedding, LND transformer, ln_final, x[arange, text.argmax(-1)] @ text_projection); open_clip
  src/open_clip/transformer.py (commit 01c3cd5a6adb5a3d70002eb5f395212a39a71e16) TextTransformer (same keys at the CLIP model's top level, act_layer nn.GELU unless
  model_cfg.quick_gelu) with open_clip_config.json {"model_cfg": {"embed_dim", "text_cfg": {...}}, "preprocess_cfg"}.

The fixture vocabulary is CLIP's construction (256 byte symbols, the same with </w>, one entry per merge,
<|startoftext|>, <|endoftext|>) over 100 merges learnt here from a small corpus, written as vocab.json + merges.txt
(HF) and as bpe_simple_vocab_16e6.txt.gz (OpenAI), which therefore give the same ids.

Run from the repository root (Debian's python3-torch; the `regex` module from a pyenv site-packages):
  PYTHONPATH=/tmp/pyregex LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tests/reference/clip_text.py
where /tmp/pyregex holds a symlink to the regex package. Writes tests/Vitmix.Tests/TextTower/Reference/{hf,open_clip}/ and expected.json.
"""
import collections
import gzip
import html
import json
import os
import random
import struct

import numpy as np
import regex as re
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = "tests/Vitmix.Tests/TextTower/Reference"
CONTEXT = 77
WIDTH, HEADS, LAYERS, MLP, EMBED = 24, 3, 2, 48, 16
MERGES = 100


# ---------------------------------------------------------------- tokenizer (simple_tokenizer.py)
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return set(zip(word[:-1], word[1:]))


def basic_clean(text):
    # ftfy.fix_text is left out (see the module docstring)
    return html.unescape(html.unescape(text)).strip()


def whitespace_clean(text):
    return re.sub(r"\s+", " ", text).strip()


PATTERN = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)


class SimpleTokenizer:
    def __init__(self, encoder, merges):
        self.byte_encoder = bytes_to_unicode()
        self.encoder = encoder
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        text = whitespace_clean(basic_clean(text)).lower()
        for token in re.findall(PATTERN, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def tokenize(self, texts, pad):
        sot, eot = self.encoder["<|startoftext|>"], self.encoder["<|endoftext|>"]
        rows = np.full((len(texts), CONTEXT), pad, dtype=np.int64)
        for r, t in enumerate(texts):
            ids = [sot] + self.encode(t) + [eot]
            if len(ids) > CONTEXT:
                ids = ids[:CONTEXT]
                ids[-1] = eot
            rows[r, :len(ids)] = ids
        return rows


CORPUS = """a photo of a cat. a photo of a dog. a photo of the small dog. a blurry photo of a cat.
the cat and the dog are friends. there is a photo of a bird, a car, a plane and a ship.
it's a photo. they're here. we'll see. i'm a cat. you've got a dog. he'd like that. don't stop.
a painting of a cat in the style of a photo. the quick brown fox jumps over the lazy dog.
caf\u00e9 na\u00efve photos of cats and dogs; 2024 photos, 3 cats!"""


def learn_merges(corpus, count):
    """Greedy BPE over the corpus' pieces (most frequent pair first, ties to the smallest pair)."""
    enc = bytes_to_unicode()
    words = collections.Counter()
    for piece in re.findall(PATTERN, whitespace_clean(corpus).lower()):
        s = "".join(enc[b] for b in piece.encode("utf-8"))
        words[tuple(s[:-1]) + (s[-1] + "</w>",)] += 1
    merges = []
    for _ in range(count):
        pairs = collections.Counter()
        for w, n in words.items():
            for p in zip(w[:-1], w[1:]):
                pairs[p] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = collections.Counter()
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    return merges


def clip_vocabulary(merges):
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return dict(zip(vocab, range(len(vocab))))


# ---------------------------------------------------------------- text towers
def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class HFAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(WIDTH, WIDTH) for _ in range(4))

    def forward(self, h, mask):
        b, n, _ = h.shape
        hd = WIDTH // HEADS
        q = self.q_proj(h) * hd ** -0.5
        k, v = self.k_proj(h), self.v_proj(h)
        q, k, v = (t.view(b, n, HEADS, hd).transpose(1, 2) for t in (q, k, v))
        w = F.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, n, WIDTH))


class HFLayer(nn.Module):
    def __init__(self, eps):
        super().__init__()
        self.self_attn = HFAttention()
        self.layer_norm1 = nn.LayerNorm(WIDTH, eps=eps)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(WIDTH, MLP), nn.Linear(MLP, WIDTH)
        self.layer_norm2 = nn.LayerNorm(WIDTH, eps=eps)

    def forward(self, h, mask, act):
        h = h + self.self_attn(self.layer_norm1(h), mask)
        return h + self.mlp.fc2(act(self.mlp.fc1(self.layer_norm2(h))))


class HFTextModelWithProjection(nn.Module):
    def __init__(self, vocab_size, eps=1e-5):
        super().__init__()
        self.text_model = nn.Module()
        self.text_model.embeddings = nn.Module()
        self.text_model.embeddings.token_embedding = nn.Embedding(vocab_size, WIDTH)
        self.text_model.embeddings.position_embedding = nn.Embedding(CONTEXT, WIDTH)
        self.text_model.encoder = nn.Module()
        self.text_model.encoder.layers = nn.ModuleList(HFLayer(eps) for _ in range(LAYERS))
        self.text_model.final_layer_norm = nn.LayerNorm(WIDTH, eps=eps)
        self.text_projection = nn.Linear(WIDTH, EMBED, bias=False)

    def forward(self, ids, act, eos_token_id):
        tm = self.text_model
        n = ids.shape[1]
        h = tm.embeddings.token_embedding(ids) + tm.embeddings.position_embedding(torch.arange(n))[None]
        mask = torch.full((n, n), float("-inf")).triu(1)
        for layer in tm.encoder.layers:
            h = layer(h, mask, act)
        h = tm.final_layer_norm(h)
        if eos_token_id == 2:
            at = ids.argmax(dim=-1)
        else:
            at = (ids == eos_token_id).int().argmax(dim=-1)
        return self.text_projection(h[torch.arange(h.shape[0]), at])


class ResidualAttentionBlock(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.attn = nn.MultiheadAttention(WIDTH, HEADS)
        self.ln_1 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(collections.OrderedDict([("c_fc", nn.Linear(WIDTH, MLP)), ("gelu", act), ("c_proj", nn.Linear(MLP, WIDTH))]))
        self.ln_2 = nn.LayerNorm(WIDTH)

    def forward(self, x, mask):
        x = x + self.attn(*(self.ln_1(x),) * 3, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class OpenAiText(nn.Module):
    def __init__(self, vocab_size, act):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, WIDTH)
        self.positional_embedding = nn.Parameter(torch.empty(CONTEXT, WIDTH))
        self.transformer = nn.Module()
        self.transformer.resblocks = nn.Sequential(*(ResidualAttentionBlock(act) for _ in range(LAYERS)))
        self.ln_final = nn.LayerNorm(WIDTH)
        self.text_projection = nn.Parameter(torch.empty(WIDTH, EMBED))

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        mask = torch.empty(CONTEXT, CONTEXT).fill_(float("-inf")).triu_(1)
        x = x.permute(1, 0, 2)
        for block in self.transformer.resblocks:
            x = block(x, mask)
        x = self.ln_final(x.permute(1, 0, 2))
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


def randomise(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or "ln_" in name and name.endswith(".weight") \
                    or name.endswith("final_layer_norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- texts
PROMPTS = [
    "a photo of a cat.",
    "a photo of a dog",
    "A PHOTO OF   THE  Dog's toy!!",
    "it's 2024: they're here, aren't they?",
    "caf\u00e9 na\u00efve \u00fcn\u00efc\u00f6d\u00e9 \u0130stanbul \u03a3\u039f\u03a6\u039f\u03a3",
    "a &amp; b &lt;3 &#39;x&#39;",
    "<|endoftext|> hidden end",
    "\U0001d400\U0001d401 x\u00b2 \u00bd \u6771\u4eac \U0001f642",
    " ".join(["a photo of a cat"] * 20),
]

POOL = ["a", "photo", "of", "the", "cat", "dog", "Dog's", "it's", "they're", "we'll", "I'm", "you've", "he'd", "don't",
        "2024", "3.14", "\u00bd", "x\u00b2", "caf\u00e9", "na\u00efve", "\u03a3\u0391\u03a3", "\u03c3\u03bf\u03c6\u03cc\u03c2",
        "\u041f\u0440\u0438\u0432\u0435\u0442", "\u6771\u4eac", "\u65e5\u672c\u8a9e", "\U0001f642", "\U0001f44d\U0001f3fd",
        "\U0001d400\U0001d401\U0001d402", "\u0130stanbul", "\u00c5NGSTR\u00d6M", "&amp;", "&lt;b&gt;", "&#39;", "&eacute;",
        "!!", "...", "?!", ":-)", "#hashtag", "@user", "e-mail", "C++", "$5", "100%", "a\tb", "new\nline", "_under_score_",
        "'quoted'", "<|startoftext|>", "<|ENDOFTEXT|>", "ALL CAPS", "MiXeD", "'S", "''", "x'll", "\u00a0nbsp", "photos",
        "catdog", "phototh"]


def random_texts(count, seed):
    rng = random.Random(seed)
    seps = [" ", "  ", "", "\t", " \n "]
    return ["".join(rng.choice(POOL) + rng.choice(seps) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def main():
    torch.manual_seed(0)
    merges = learn_merges(CORPUS, MERGES)
    assert len(merges) == MERGES
    encoder = clip_vocabulary(merges)
    vocab_size = len(encoder)
    tok = SimpleTokenizer(encoder, merges)
    eot = encoder["<|endoftext|>"]

    hf_dir, oc_dir = os.path.join(OUT, "hf"), os.path.join(OUT, "open_clip")
    os.makedirs(hf_dir, exist_ok=True)
    os.makedirs(oc_dir, exist_ok=True)
    merges_text = "#version: 0.2\n" + "\n".join(" ".join(m) for m in merges)
    with open(os.path.join(hf_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(encoder, f, ensure_ascii=False)
    with open(os.path.join(hf_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write(merges_text + "\n")
    with open(os.path.join(hf_dir, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                   "unk_token": "<|endoftext|>"}, f, indent=2)
    # OpenAI's file starts with a comment line that the tokenizer skips, like merges.txt's "#version" line.
    with gzip.GzipFile(os.path.join(oc_dir, "bpe_simple_vocab_16e6.txt.gz"), "wb", mtime=0) as f:
        f.write(('"bpe_simple_vocab_16e6.txt#version: 0.2\n' + "\n".join(" ".join(m) for m in merges)).encode("utf-8"))

    # ---- HF layout: CLIPModel-style config, quick_gelu and the legacy eos_token_id 2 as openai/clip-vit-base-patch16
    hf = HFTextModelWithProjection(vocab_size)
    randomise(hf, 1)
    state = {k: v for k, v in hf.state_dict().items()}
    state["logit_scale"] = torch.tensor(2.6592)
    write_safetensors(os.path.join(hf_dir, "model.safetensors"), state)
    text_config = {"_name_or_path": "", "architectures": None, "attention_dropout": 0.0, "bos_token_id": 0,
                   "eos_token_id": 2, "hidden_act": "quick_gelu", "hidden_size": WIDTH, "initializer_factor": 1.0,
                   "initializer_range": 0.02, "intermediate_size": MLP, "layer_norm_eps": 1e-05,
                   "max_position_embeddings": CONTEXT, "model_type": "clip_text_model", "num_attention_heads": HEADS,
                   "num_hidden_layers": LAYERS, "pad_token_id": 1, "projection_dim": EMBED, "vocab_size": vocab_size}
    config = {"architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
              "model_type": "clip", "projection_dim": EMBED, "text_config": text_config,
              "torch_dtype": "float32", "transformers_version": None,
              "vision_config": {"hidden_size": 32, "image_size": 32, "intermediate_size": 64, "model_type": "clip_vision_model",
                                "num_attention_heads": 2, "num_hidden_layers": 2, "patch_size": 16, "projection_dim": EMBED}}
    with open(os.path.join(hf_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    # The same weights read with the fixed eos id (first <|endoftext|>) and exact GELU: a second config to test both switches.
    variant = json.loads(json.dumps(config))
    variant["text_config"].update({"eos_token_id": eot, "hidden_act": "gelu"})
    with open(os.path.join(hf_dir, "config_gelu_eos.json"), "w") as f:
        json.dump(variant, f, indent=2)

    # ---- OpenAI/open_clip layout: GELU as open_clip's default (laion/CLIP-ViT-B-32-laion2B-s34B-b79K has no quick_gelu)
    oc = OpenAiText(vocab_size, nn.GELU())
    randomise(oc, 2)
    state = {k: v for k, v in oc.state_dict().items()}
    state["logit_scale"] = torch.tensor(4.6052)
    write_safetensors(os.path.join(oc_dir, "open_clip_model.safetensors"), state)
    oc_config = {"model_cfg": {"embed_dim": EMBED,
                               "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 16},
                               "text_cfg": {"context_length": CONTEXT, "vocab_size": vocab_size, "width": WIDTH,
                                            "heads": HEADS, "layers": LAYERS, "mlp_ratio": MLP / WIDTH}},
                 "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}}
    with open(os.path.join(oc_dir, "open_clip_config.json"), "w") as f:
        json.dump(oc_config, f, indent=2)

    hf_rows = tok.tokenize(PROMPTS, pad=eot)
    oc_rows = tok.tokenize(PROMPTS, pad=0)
    with torch.no_grad():
        hf_emb = hf(torch.from_numpy(hf_rows), quick_gelu, 2)
        hf_variant = hf(torch.from_numpy(hf_rows), F.gelu, eot)
        oc_emb = oc.encode_text(torch.from_numpy(oc_rows))
    texts = random_texts(60, 7)
    expected = {
        "prompts": PROMPTS,
        "hf_tokens": hf_rows.tolist(),
        "open_clip_tokens": oc_rows.tolist(),
        "hf_embeddings": hf_emb.tolist(),
        "hf_gelu_eos_embeddings": hf_variant.tolist(),
        "open_clip_embeddings": oc_emb.tolist(),
        "tokenizer_texts": texts,
        "tokenizer_ids": [[encoder["<|startoftext|>"]] + tok.encode(t) + [eot] for t in texts],
    }
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=True, indent=1)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"vocabulary {vocab_size}, {len(PROMPTS)} prompts, {len(texts)} tokenizer texts, {total} bytes written")


if __name__ == "__main__":
    main()
