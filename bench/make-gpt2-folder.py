#!/usr/bin/env python3
"""Writes a GPT-2-shaped model folder with random weights (config.json + model.safetensors, float32 or BF16) for the
memory and speed benchmarks: GPT-2 small by default (124M parameters), with a context length of choice.

Pure Python (no numpy needed): one block of Gaussian values is drawn once and tiled over every tensor, which is
enough for measuring memory and time (the logits are not meaningful).

    python3 bench/make-gpt2-folder.py OUT_DIR [--positions 4096] [--layers 12] [--embd 768] [--heads 12] [--bf16]
"""
import argparse
import array
import json
import os
import random
import struct

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--positions", type=int, default=1024)
p.add_argument("--layers", type=int, default=12)
p.add_argument("--embd", type=int, default=768)
p.add_argument("--heads", type=int, default=12)
p.add_argument("--vocab", type=int, default=50257)
p.add_argument("--bf16", action="store_true")
a = p.parse_args()

rng = random.Random(7)
block = array.array("f", (rng.gauss(0.0, 0.02) for _ in range(1 << 16)))
block_bytes = block.tobytes()
if a.bf16:
    # The high half of each float32 (truncation; good enough for random weights).
    block_bytes = bytes(b for i in range(0, len(block_bytes), 4) for b in block_bytes[i + 2:i + 4])
elem = 2 if a.bf16 else 4

e, v = a.embd, a.vocab
shapes = {"wte.weight": [v, e], "wpe.weight": [a.positions, e], "ln_f.weight": [e], "ln_f.bias": [e]}
for i in range(a.layers):
    h = f"h.{i}."
    shapes.update({
        h + "ln_1.weight": [e], h + "ln_1.bias": [e], h + "ln_2.weight": [e], h + "ln_2.bias": [e],
        h + "attn.c_attn.weight": [e, 3 * e], h + "attn.c_attn.bias": [3 * e],
        h + "attn.c_proj.weight": [e, e], h + "attn.c_proj.bias": [e],
        h + "mlp.c_fc.weight": [e, 4 * e], h + "mlp.c_fc.bias": [4 * e],
        h + "mlp.c_proj.weight": [4 * e, e], h + "mlp.c_proj.bias": [e],
    })

header, offset = {}, 0
for name in sorted(shapes):
    n = 1
    for d in shapes[name]:
        n *= d
    header[name] = {"dtype": "BF16" if a.bf16 else "F32", "shape": shapes[name], "data_offsets": [offset, offset + n * elem]}
    offset += n * elem
header["__metadata__"] = {"format": "pt"}
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)

os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "config.json"), "w") as f:
    json.dump({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": v, "n_positions": a.positions,
               "n_embd": e, "n_layer": a.layers, "n_head": a.heads, "layer_norm_epsilon": 1e-5,
               "activation_function": "gelu_new"}, f, indent=2)
with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for name in sorted(shapes):
        n = header[name]["data_offsets"][1] - header[name]["data_offsets"][0]
        while n > 0:
            chunk = block_bytes[:min(n, len(block_bytes))]
            f.write(chunk)
            n -= len(chunk)
print(f"{a.out}: {offset / 1e6:.0f} MB of weights")
