#!/usr/bin/env python3
"""PyTorch (Debian's python3-torch) running a Llama-family model folder with a preallocated KV cache: the peer for
`sapling bench llm`. Same measurements: load time, resident memory, prefill tokens/s for a long prompt, batch-1
greedy decode tokens/s.

    /usr/bin/python3 bench/llama/torch_llm.py /tmp/qwen05 --prompt-tokens 512 --new-tokens 256 [--dtype float32|bfloat16]

The forward pass is the reference one of tests/fixtures/make_llama_fixtures.py (default RoPE only) with a cache.
Weights are read from the safetensors files (bf16 widened to float32 unless --dtype bfloat16).
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch


def rss_mb(key="VmRSS"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return 0


def read_safetensors(path, dtype):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            raw = f.read(end - begin)
            if info["dtype"] == "BF16":
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                t = torch.from_numpy(bits.view(np.float32).reshape(info["shape"]).copy())
            else:
                t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").reshape(info["shape"]).copy())
            out[name] = t.to(dtype)
    return out


def load(folder, dtype):
    c = json.load(open(os.path.join(folder, "config.json")))
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    w = {}
    for file in files:
        w.update(read_safetensors(os.path.join(folder, file), dtype))
    return c, w


class Model:
    def __init__(self, c, w, max_len, dtype):
        self.c, self.w, self.dtype = c, w, dtype
        self.d = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
        self.h, self.kv = c["num_attention_heads"], c["num_key_value_heads"]
        inv = 1.0 / c.get("rope_theta", 10000.0) ** (torch.arange(0, self.d, 2, dtype=torch.float64) / self.d)
        ang = torch.arange(max_len, dtype=torch.float64)[:, None] * inv[None, :]
        emb = torch.cat([ang, ang], dim=-1)
        self.cos, self.sin = emb.cos().to(dtype), emb.sin().to(dtype)
        layers = c["num_hidden_layers"]
        self.k = torch.zeros(layers, 1, self.kv, max_len, self.d, dtype=dtype)
        self.v = torch.zeros(layers, 1, self.kv, max_len, self.d, dtype=dtype)
        self.length = 0
        self.head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]

    def norm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["rms_norm_eps"]) * weight

    def proj(self, p, name, x):
        y = torch.nn.functional.linear(x, self.w[p + name + ".weight"], self.w.get(p + name + ".bias"))
        return y

    @staticmethod
    def rotate(x):
        h = x.shape[-1] // 2
        return torch.cat([-x[..., h:], x[..., :h]], dim=-1)

    def forward(self, ids):
        t, past = ids.shape[1], self.length
        x = self.w["model.embed_tokens.weight"][ids]
        cos, sin = self.cos[past:past + t], self.sin[past:past + t]
        for layer in range(self.c["num_hidden_layers"]):
            p = f"model.layers.{layer}."
            hn = self.norm(x, self.w[p + "input_layernorm.weight"])
            q = self.proj(p, "self_attn.q_proj", hn).view(1, t, self.h, self.d).transpose(1, 2)
            k = self.proj(p, "self_attn.k_proj", hn).view(1, t, self.kv, self.d).transpose(1, 2)
            v = self.proj(p, "self_attn.v_proj", hn).view(1, t, self.kv, self.d).transpose(1, 2)
            q = q * cos + self.rotate(q) * sin
            k = k * cos + self.rotate(k) * sin
            self.k[layer, :, :, past:past + t] = k
            self.v[layer, :, :, past:past + t] = v
            keys = self.k[layer, :, :, :past + t].repeat_interleave(self.h // self.kv, dim=1)
            values = self.v[layer, :, :, :past + t].repeat_interleave(self.h // self.kv, dim=1)
            a = torch.nn.functional.scaled_dot_product_attention(q, keys, values, is_causal=past == 0 and t > 1) if hasattr(torch.nn.functional, "scaled_dot_product_attention") else None
            if a is None:
                s = (q @ keys.transpose(-1, -2)) / math.sqrt(self.d)
                if t > 1:
                    mask = torch.ones(t, past + t, dtype=torch.bool).tril(past)
                    s = s.masked_fill(~mask, float("-inf"))
                a = s.softmax(-1) @ values
            x = x + self.proj(p, "self_attn.o_proj", a.transpose(1, 2).reshape(1, t, self.h * self.d))
            hn = self.norm(x, self.w[p + "post_attention_layernorm.weight"])
            x = x + self.proj(p, "mlp.down_proj", torch.nn.functional.silu(self.proj(p, "mlp.gate_proj", hn)) * self.proj(p, "mlp.up_proj", hn))
        self.length += t
        x = self.norm(x[:, -1:], self.w["model.norm.weight"])
        return torch.nn.functional.linear(x, self.head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=256)
    ap.add_argument("--dtype", default="float32")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    dtype = getattr(torch, args.dtype)
    start = time.perf_counter()
    c, w = load(args.folder, dtype)
    load_s = time.perf_counter() - start
    rss_load = rss_mb()
    vocab = c["vocab_size"]
    prompt = torch.tensor([[100 + i * 37 % (vocab - 200) for i in range(args.prompt_tokens)]])
    with torch.inference_mode():
        m = Model(c, w, args.prompt_tokens + args.new_tokens + 1, dtype)
        m.forward(prompt)
        m.length = 0
        start = time.perf_counter()
        m.forward(prompt)
        prefill = args.prompt_tokens / (time.perf_counter() - start)
        m.length = 0
        token = prompt[:, :1]
        stamps = []
        for _ in range(args.new_tokens):
            logits = m.forward(token)
            token = logits[:, -1].argmax(-1, keepdim=True)
            stamps.append(time.perf_counter())
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    print(json.dumps({"torch": torch.__version__, "dtype": args.dtype, "threads": torch.get_num_threads(),
                      "load_seconds": round(load_s, 2), "rss_after_load_mb": rss_load, "rss_after_decode_mb": rss_mb(),
                      "peak_rss_mb": rss_mb("VmHWM"), "prefill_tokens_per_second": round(prefill, 1),
                      "decode_tokens_per_second_median": round(1 / gaps[len(gaps) // 2], 2),
                      "decode_tokens_per_second_overall": round((len(stamps) - 1) / (stamps[-1] - stamps[0]), 2)}, indent=1))


if __name__ == "__main__":
    main()
