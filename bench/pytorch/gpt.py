#!/usr/bin/env python3
"""PyTorch side of `sapling bench train --model gpt` and `sapling bench generate`: the same GPT-2 architecture (pre-LN,
fused QKV, GELU-tanh MLP, tied head, no dropout), sizes, optimiser and timing rule.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/gpt.py train --config A --json
  ... bench/pytorch/gpt.py generate [--no-cache] --json
"""
import argparse
import json
import math
import resource

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import median_ms

SIZES = {"A": dict(vocab=4096, ctx=128, layers=4, heads=4, width=256, batch=16),
         "B": dict(vocab=8192, ctx=256, layers=6, heads=6, width=384, batch=8)}


class Block(nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn, self.c_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x, cache=None):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        split = lambda z: z.view(b, t, self.h, c // self.h).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        if cache is not None:
            if cache.get("k") is not None:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        past = k.size(2) - t
        w = q @ k.transpose(-1, -2) / math.sqrt(c // self.h)
        mask = torch.ones(t, k.size(2), dtype=torch.bool).triu(past + 1)
        w = w.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.c_proj((w @ v).transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(s["vocab"], s["width"]), nn.Embedding(s["ctx"], s["width"])
        self.blocks = nn.ModuleList([Block(s["width"], s["heads"]) for _ in range(s["layers"])])
        self.ln_f = nn.LayerNorm(s["width"])

    def forward(self, ids, caches=None, past=0):
        x = self.wte(ids) + self.wpe(torch.arange(past, past + ids.size(1)))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.t()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "generate"])
    p.add_argument("--config", default="A")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    s = SIZES[a.config.upper()]
    model = Gpt(s)
    if a.mode == "train":
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
        x = torch.randint(0, s["vocab"], (s["batch"], s["ctx"]))
        y = torch.randint(0, s["vocab"], (s["batch"], s["ctx"]))

        def step():
            loss = F.cross_entropy(model(x).reshape(-1, s["vocab"]), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)

        ms = median_ms(step, a.steps, 3)
        result = {"config": a.config.upper(), "ms_per_step": round(ms, 2), "tokens_per_s": round(s["batch"] * s["ctx"] / ms * 1000, 1)}
    else:
        model.eval()
        prompt = torch.arange(1, 17).unsqueeze(0)

        @torch.no_grad()
        def generate():
            ids = prompt
            if a.no_cache:
                for _ in range(112):
                    ids = torch.cat([ids, model(ids)[:, -1].argmax(-1, keepdim=True)], 1)
            else:
                caches = [{} for _ in model.blocks]
                logits = model(ids, caches, 0)
                for i in range(112):
                    nxt = logits[:, -1].argmax(-1, keepdim=True)
                    ids = torch.cat([ids, nxt], 1)
                    if i < 111:
                        logits = model(nxt, caches, ids.size(1) - 1)

        ms = median_ms(generate, max(3, a.steps // 3), 1)
        result = {"tokens_per_s": round(112 / ms * 1000, 1), "kv_cache": not a.no_cache}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result) if a.json else result)


if __name__ == "__main__":
    main()
