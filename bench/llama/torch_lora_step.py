#!/usr/bin/env python3
"""PyTorch (Debian's python3-torch) taking LoRA training steps on a Llama-family folder, the peer of
`sapling finetune` with sft + lora in bench/llama/lora-step.sh: LoRA r=8, alpha 16 on q/k/v/o_proj of a frozen
float32 base, batch 4 × 512 tokens, activation checkpointing per layer (torch.utils.checkpoint), cross-entropy over
the vocabulary, AdamW on the adapters. Prints the median step time and the peak resident memory.

    /usr/bin/python3 bench/llama/torch_lora_step.py /tmp/sapling-bench-qwen2.5-0.5b [--steps 3] [--no-checkpointing]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.utils.checkpoint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_llm import load, rss_mb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--context", type=int, default=512)
    ap.add_argument("--no-checkpointing", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    c, w = load(args.folder, torch.float32)
    d = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    h, kv = c["num_attention_heads"], c["num_key_value_heads"]
    gen = torch.Generator().manual_seed(0)
    lora = {}
    for layer in range(c["num_hidden_layers"]):
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            weight = w[f"model.layers.{layer}.self_attn.{name}.weight"]
            a = torch.randn(8, weight.shape[1], generator=gen) / math.sqrt(weight.shape[1])
            lora[(layer, name)] = (a.requires_grad_(), torch.zeros(weight.shape[0], 8, requires_grad=True))
    params = [t for pair in lora.values() for t in pair]
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    inv = 1.0 / c.get("rope_theta", 10000.0) ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = torch.arange(args.context, dtype=torch.float64)[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], dim=-1)
    cos, sin = emb.cos().float(), emb.sin().float()
    mask = torch.ones(args.context, args.context, dtype=torch.bool).tril()
    eps = c["rms_norm_eps"]
    head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]

    def norm(x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight

    def rotate(x):
        half = x.shape[-1] // 2
        return torch.cat([-x[..., half:], x[..., :half]], dim=-1)

    def proj(p, name, x, layer=None):
        y = torch.nn.functional.linear(x, w[p + name + ".weight"], w.get(p + name + ".bias"))
        if layer is not None:
            a, b = lora[(layer, name.split(".")[-1])]
            y = y + (x @ a.T @ b.T) * 2.0
        return y

    def block(x, layer):
        b_, t = x.shape[0], x.shape[1]
        p = f"model.layers.{layer}."
        hn = norm(x, w[p + "input_layernorm.weight"])
        q = proj(p, "self_attn.q_proj", hn, layer).view(b_, t, h, d).transpose(1, 2)
        k = proj(p, "self_attn.k_proj", hn, layer).view(b_, t, kv, d).transpose(1, 2)
        v = proj(p, "self_attn.v_proj", hn, layer).view(b_, t, kv, d).transpose(1, 2)
        q = q * cos + rotate(q) * sin
        k = k * cos + rotate(k) * sin
        k = k.repeat_interleave(h // kv, dim=1)
        v = v.repeat_interleave(h // kv, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        a = s.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + proj(p, "self_attn.o_proj", a.transpose(1, 2).reshape(b_, t, h * d), layer)
        hn = norm(x, w[p + "post_attention_layernorm.weight"])
        return x + proj(p, "mlp.down_proj", torch.nn.functional.silu(proj(p, "mlp.gate_proj", hn)) * proj(p, "mlp.up_proj", hn))

    ids = torch.randint(0, c["vocab_size"] - 300, (args.batch, args.context + 1), generator=gen)
    times = []
    for step in range(args.steps + 1):
        start = time.perf_counter()
        x = w["model.embed_tokens.weight"][ids[:, :-1]]
        for layer in range(c["num_hidden_layers"]):
            if args.no_checkpointing:
                x = block(x, layer)
            else:
                x = torch.utils.checkpoint.checkpoint(block, x, layer, use_reentrant=False)
        logits = norm(x, w["model.norm.weight"]) @ head.T
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step > 0:
            times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"torch": torch.__version__, "checkpointing": not args.no_checkpointing, "batch": args.batch, "context": args.context,
                      "ms_per_step_median": round(times[len(times) // 2] * 1000, 1), "peak_rss_mb": rss_mb("VmHWM"), "loss": round(loss.item(), 4)}))


if __name__ == "__main__":
    main()
