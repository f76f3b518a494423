#!/usr/bin/env python3
"""Writes the PNG / PGM / PPM decoding fixtures and Pillow's reading of each, and the fuzz seeds.

Run from this folder with Debian 12's Pillow (apt-get install -y python3-pil; Pillow 9.4.0):

    /usr/bin/python3 make_fixtures.py

For every fixture NAME.EXT it writes expected/NAME.rgb: the bytes of Image.open(f).convert("RGB").tobytes(), the
8-bit RGB a timm / torchvision / Hugging Face pipeline sees. The PNGs are written by hand (chunks, filters, Adam7),
so every colour type, bit depth, tRNS and interlacing case is covered, not only what an encoder chooses. Sizes are
odd (7x5) so bit packing, row padding and the Adam7 passes all have partial cases.

fuzz/ holds valid seed files in formats the tests cannot encode with SkiaSharp (GIF, progressive JPEG), for
Hostile/FuzzTests.cs to mutate.
"""
import io
import os
import struct
import zlib

import PIL
from PIL import Image

W, H = 7, 5
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "decoding")
EXPECTED = os.path.join(OUT, "expected")


def lcg(seed):
    """Deterministic values without numpy: a 32-bit LCG (Numerical Recipes constants)."""
    state = seed
    while True:
        state = (1664525 * state + 1013904223) & 0xFFFFFFFF
        yield state >> 8


def samples(seed, count, depth):
    """Sample values; 16-bit sets start with the edge cases around 255/256 and the extremes."""
    gen = lcg(seed)
    top = (1 << depth) - 1
    edges = [0, 1, 255, 256, 257, 32767, 32768, 65535] if depth == 16 else [0, top]
    # Every other 16-bit value is below 512, so clipping at 255 and keeping the high byte are both exercised.
    small = 512 if depth == 16 else top + 1
    return [edges[i] if i < len(edges) else next(gen) % (top + 1 if i % 2 else small) for i in range(count)]


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(values, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in values)
    if depth == 8:
        return bytes(values)
    per_byte = 8 // depth
    out = bytearray((len(values) * depth + 7) // 8)
    for i, v in enumerate(values):
        out[i // per_byte] |= v << (8 - depth * (i % per_byte + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    """PNG filter types 0-4 (PNG spec section 9), so the decoder's unfiltering is exercised for each."""
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][kind]
        out.append((x - pred) & 0xFF)
    return bytes(out)


def encode_pass(pixels, w, h, channels, depth):
    """Filtered scanlines of one (sub)image; the filter type cycles 0..4 by row."""
    bpp = max(1, channels * depth // 8)
    raw, prev = b"", None
    for y in range(h):
        row = pack_row(pixels[y * w * channels:(y + 1) * w * channels], depth)
        raw += filter_row(y % 5, row, prev, bpp)
        prev = row
    return raw


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(pixels, channels, depth, colour_type, interlace=False, plte=None, trns=None):
    ihdr = struct.pack(">IIBBBBB", W, H, depth, colour_type, 0, 0, 1 if interlace else 0)
    if not interlace:
        raw = encode_pass(pixels, W, H, channels, depth)
    else:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = list(range(x0, W, dx)), list(range(y0, H, dy))
            if not xs or not ys:
                continue
            sub = [pixels[(y * W + x) * channels + c] for y in ys for x in xs for c in range(channels)]
            raw += encode_pass(sub, len(xs), len(ys), channels, depth)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if plte is not None:
        data += chunk(b"PLTE", plte)
    if trns is not None:
        data += chunk(b"tRNS", trns)
    # Two IDAT chunks: decoders must concatenate them.
    z = zlib.compress(raw, 9)
    return data + chunk(b"IDAT", z[:len(z) // 2]) + chunk(b"IDAT", z[len(z) // 2:]) + chunk(b"IEND", b"")


def pngs():
    n = W * H
    palette = bytes(v % 256 for v in samples(99, 3 * 256, 8))
    cases = {}
    for depth in (1, 2, 4, 8, 16):
        cases[f"grey{depth}"] = png(samples(depth, n, depth), 1, depth, 0)
    cases["grey16_trns"] = png(samples(3, n, 16), 1, 16, 0, trns=struct.pack(">H", 256))
    cases["grey16_adam7"] = png(samples(4, n, 16), 1, 16, 0, interlace=True)
    for depth in (8, 16):
        cases[f"greyalpha{depth}"] = png(samples(10 + depth, 2 * n, depth), 2, depth, 4)
        cases[f"rgb{depth}"] = png(samples(20 + depth, 3 * n, depth), 3, depth, 2)
        cases[f"rgba{depth}"] = png(samples(30 + depth, 4 * n, depth), 4, depth, 6)
    cases["rgb16_trns"] = png(samples(41, 3 * n, 16), 3, 16, 2, trns=struct.pack(">HHH", 0, 1, 255))
    cases["rgb16_adam7"] = png(samples(42, 3 * n, 16), 3, 16, 2, interlace=True)
    cases["rgba16_adam7"] = png(samples(43, 4 * n, 16), 4, 16, 6, interlace=True)
    cases["greyalpha16_adam7"] = png(samples(44, 2 * n, 16), 2, 16, 4, interlace=True)
    for depth in (1, 2, 4, 8):
        cases[f"palette{depth}"] = png(samples(50 + depth, n, depth), 1, depth, 3, plte=palette[:3 << depth])
    cases["palette8_trns"] = png(samples(60, n, 8), 1, 8, 3, plte=palette, trns=bytes(range(0, 256, 7)))
    cases["palette4_adam7"] = png(samples(61, n, 4), 1, 4, 3, interlace=True, plte=palette[:48])
    return {name + ".png": data for name, data in cases.items()}


def netpbm():
    n = W * H
    cases = {}
    for magic, channels, ext in ((b"P5", 1, "pgm"), (b"P6", 3, "ppm")):
        for maxval in (255, 100, 1000, 65535):
            depth = 16 if maxval > 255 else 8
            values = [v % (maxval + 1) for v in samples(maxval + channels, channels * n, depth)]
            raster = pack_row(values, depth)
            # A comment and mixed whitespace in the header, as the Netpbm spec allows.
            header = magic + b"\n# vitmix fixture\n" + b"%d %d\n%d\n" % (W, H, maxval)
            cases[f"{ext}_max{maxval}.{ext}"] = header + raster
    return cases


def fuzz_seeds():
    """Small valid files: a 16x12 palette GIF (LZW) and a 16x16 progressive JPEG (several scans)."""
    folder = os.path.join(HERE, "fuzz")
    os.makedirs(folder, exist_ok=True)
    gen = lcg(7)
    image = Image.new("RGB", (16, 12))
    image.putdata([(next(gen) % 256, next(gen) % 256, next(gen) % 256) for _ in range(16 * 12)])
    image.convert("P", palette=Image.ADAPTIVE, colors=16).save(os.path.join(folder, "seed.gif"))
    big = image.resize((16, 16))
    big.save(os.path.join(folder, "seed_progressive.jpg"), "JPEG", quality=90, progressive=True)


def main():
    fuzz_seeds()
    os.makedirs(EXPECTED, exist_ok=True)
    files = {**pngs(), **netpbm()}
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        image = Image.open(io.BytesIO(data))
        rgb = image.convert("RGB").tobytes()
        assert len(rgb) == W * H * 3, name
        with open(os.path.join(EXPECTED, os.path.splitext(name)[0] + "." + name.rsplit(".", 1)[1] + ".rgb"), "wb") as f:
            f.write(rgb)
        print(f"{name}: mode {image.mode}")
    with open(os.path.join(EXPECTED, "PILLOW_VERSION"), "w") as f:
        f.write(PIL.__version__ + "\n")


if __name__ == "__main__":
    main()
