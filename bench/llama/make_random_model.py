#!/usr/bin/env python3
"""Writes a randomly initialised Llama-family model folder at a real model's shape, in bf16, for benchmarks:
config.json and safetensors shards with model.safetensors.index.json, Hugging Face's names and layout.

    /usr/bin/python3 bench/llama/make_random_model.py qwen2.5-0.5b /tmp/qwen-0.5b
    /usr/bin/python3 bench/llama/make_random_model.py tinyllama-1.1b /tmp/tinyllama

Weights are N(0, 0.02) (norms 1), written one tensor at a time, so the script needs little memory.
"""
import json
import os
import struct
import sys

import numpy as np

SHAPES = {
    "qwen2.5-0.5b": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=896, intermediate_size=4864,
                         num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
                         max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
                         use_sliding_window=False, bos_token_id=151643, eos_token_id=151645, hidden_act="silu",
                         torch_dtype="bfloat16", shards=2),
    "tinyllama-1.1b": dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=2048, intermediate_size=5632,
                           num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4, vocab_size=32000,
                           max_position_embeddings=2048, rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
                           bos_token_id=1, eos_token_id=2, hidden_act="silu", torch_dtype="bfloat16", shards=1),
}


def tensors(c):
    e, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    d = e // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d
    yield "model.embed_tokens.weight", (v, e), False
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        yield p + "self_attn.q_proj.weight", (q, e), False
        yield p + "self_attn.k_proj.weight", (kv, e), False
        yield p + "self_attn.v_proj.weight", (kv, e), False
        if c["model_type"] == "qwen2":
            yield p + "self_attn.q_proj.bias", (q,), False
            yield p + "self_attn.k_proj.bias", (kv,), False
            yield p + "self_attn.v_proj.bias", (kv,), False
        yield p + "self_attn.o_proj.weight", (e, q), False
        yield p + "mlp.gate_proj.weight", (f, e), False
        yield p + "mlp.up_proj.weight", (f, e), False
        yield p + "mlp.down_proj.weight", (e, f), False
        yield p + "input_layernorm.weight", (e,), True
        yield p + "post_attention_layernorm.weight", (e,), True
    yield "model.norm.weight", (e,), True
    if not c["tie_word_embeddings"]:
        yield "lm_head.weight", (v, e), False


def bf16_bytes(shape, ones, rng):
    n = int(np.prod(shape))
    x = np.ones(n, np.float32) if ones else (rng.standard_normal(n, dtype=np.float32) * 0.02)
    bits = x.view(np.uint32)
    # Round to nearest even into the top 16 bits.
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    return rounded.tobytes()


def write_shard(path, entries, rng):
    header, offset = {}, 0
    for name, shape, _ in entries:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, shape, ones in entries:
            f.write(bf16_bytes(shape, ones, rng))


def main():
    shape, out = sys.argv[1], sys.argv[2]
    c = dict(SHAPES[shape])
    shards = c.pop("shards")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    entries = list(tensors(c))
    rng = np.random.default_rng(0)
    if shards == 1:
        write_shard(os.path.join(out, "model.safetensors"), entries, rng)
        return
    total = sum(int(np.prod(s)) * 2 for _, s, _ in entries)
    groups, current, size = [], [], 0
    for entry in entries:
        current.append(entry)
        size += int(np.prod(entry[1])) * 2
        if size >= total / shards and len(groups) < shards - 1:
            groups.append(current)
            current, size = [], 0
    groups.append(current)
    weight_map = {}
    for i, group in enumerate(groups):
        name = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        write_shard(os.path.join(out, name), group, rng)
        weight_map.update({n: name for n, _, _ in group})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


if __name__ == "__main__":
    main()
