"""The PyTorch side of bench/seq2seq's speed comparison: the same T5-small-shaped model (tests/fixtures/make_t5_fixtures.py's
modules under transformers' names; vocabulary 32,128, d_model 512, 6 + 6 layers, 8 heads, d_ff 2,048, ReLU, tied head,
no dropout), timed the same way:

- train: an AdamW step (forward, cross-entropy, backward, update) on 16 pairs of 64 -> 64 random tokens; median ms.
- beam: beam-4 translation of 8 random sources of 64 tokens into 64 tokens with a key/value cache (cross-attention keys
  and values projected once, the position bias of the new position only), eos banned so every beam runs the full length;
  output tokens per second.

    /usr/bin/python3 bench/seq2seq/t5_speed.py [train|beam|all] [repeats] [threads]
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))
from make_t5_fixtures import T5Model, bucket  # noqa: E402

CONFIG = {
    "model_type": "t5", "vocab_size": 32128, "d_model": 512, "d_kv": 64, "d_ff": 2048, "num_layers": 6, "num_decoder_layers": 6,
    "num_heads": 8, "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128, "feed_forward_proj": "relu",
    "layer_norm_epsilon": 1e-6, "tie_word_embeddings": True, "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
}


def median(samples):
    samples = sorted(samples)
    return samples[len(samples) // 2]


def report(name, unit, value, details):
    print(json.dumps({"framework": "pytorch", "torch": torch.__version__, "name": name, "unit": unit, "value": value, "details": details}))


def heads(x, b, t, c):
    return x.view(b, t, c["num_heads"], c["d_kv"]).transpose(1, 2)


def decode_step(model, token, pos, cache, cross, cross_bias):
    """One new position for every row: token [R, 1] at position pos; cache holds each layer's self keys and values."""
    c = model.c
    r = token.shape[0]
    table = model.decoder.block[0].layer[0].SelfAttention.relative_attention_bias
    rel = torch.arange(pos + 1)[None, :] - pos
    bias = table(bucket(rel, False, c["relative_attention_num_buckets"], c["relative_attention_max_distance"])).permute(2, 0, 1)[None]
    h = model.shared(token)
    for i, block in enumerate(model.decoder.block):
        s = block.layer[0]
        att = s.SelfAttention
        x = s.layer_norm(h)
        q, k, v = heads(att.q(x), r, 1, c), heads(att.k(x), r, 1, c), heads(att.v(x), r, 1, c)
        if cache[i] is not None:
            k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
        cache[i] = (k, v)
        ctx = ((q @ k.transpose(-1, -2) + bias).softmax(-1) @ v).transpose(1, 2).reshape(r, 1, -1)
        h = h + att.o(ctx)
        a = block.layer[1]
        x = a.layer_norm(h)
        q = heads(a.EncDecAttention.q(x), r, 1, c)
        k, v = cross[i]
        ctx = ((q @ k.transpose(-1, -2) + cross_bias).softmax(-1) @ v).transpose(1, 2).reshape(r, 1, -1)
        h = h + a.EncDecAttention.o(ctx)
        f = block.layer[2]
        h = h + f.DenseReluDense(f.layer_norm(h))
    h = model.decoder.final_layer_norm(h)
    return ((h * c["d_model"] ** -0.5) @ model.shared.weight.T)[:, -1]


def beam_translate(model, ids, beams, new_tokens):
    c = model.c
    b, s = ids.shape
    mask = torch.ones_like(ids)
    enc = model.encode(ids, mask).repeat_interleave(beams, 0)
    r = b * beams
    cross = []
    for block in model.decoder.block:
        att = block.layer[1].EncDecAttention
        cross.append((heads(att.k(enc), r, s, c), heads(att.v(enc), r, s, c)))
    cross_bias = torch.zeros(1, 1, 1, s)
    cache = [None] * len(model.decoder.block)
    scores = torch.zeros(b, beams)
    scores[:, 1:] = -1e9
    scores = scores.view(-1)
    token = torch.full((r, 1), c["decoder_start_token_id"])
    vocab = c["vocab_size"]
    for pos in range(new_tokens):
        logprobs = F.log_softmax(decode_step(model, token, pos, cache, cross, cross_bias), -1)
        logprobs[:, c["eos_token_id"]] = -math.inf
        top, idx = torch.topk((logprobs + scores[:, None]).view(b, beams * vocab), 2 * beams, dim=1)
        top, idx = top[:, :beams], idx[:, :beams]
        rows = (torch.arange(b)[:, None] * beams + idx // vocab).view(-1)
        cache = [(k.index_select(0, rows), v.index_select(0, rows)) for k, v in cache]
        scores = top.reshape(-1)
        token = (idx % vocab).view(-1, 1)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else os.cpu_count())
    torch.manual_seed(0)
    model = T5Model(CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" not in name:
                p.normal_(0, 0.05)
    params = sum(p.numel() for p in model.parameters())
    if what in ("train", "all"):
        batch, length = 16, 64
        src = torch.randint(2, CONFIG["vocab_size"], (batch, length))
        dec = torch.randint(2, CONFIG["vocab_size"], (batch, length))
        labels = torch.randint(2, CONFIG["vocab_size"], (batch * length,))
        mask = torch.ones_like(src)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

        def step():
            start = time.perf_counter()
            logits = model.decode(dec, model.encode(src, mask), mask)
            loss = F.cross_entropy(logits.reshape(batch * length, -1), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return (time.perf_counter() - start) * 1000

        step()
        report("train_step", "ms", median([step() for _ in range(repeats)]), {"batch": batch, "source_tokens": length, "target_tokens": length, "parameters": params})
    if what in ("beam", "all"):
        batch, length, new_tokens = 8, 64, 64
        ids = torch.randint(2, CONFIG["vocab_size"], (batch, length))

        def run():
            start = time.perf_counter()
            with torch.no_grad():
                beam_translate(model, ids, 4, new_tokens)
            return (time.perf_counter() - start) * 1000

        run()
        ms = median([run() for _ in range(repeats)])
        report("beam4_translate", "tokens_per_s", batch * new_tokens / (ms / 1000), {"batch": batch, "source_tokens": length, "new_tokens": new_tokens, "beams": 4, "ms": ms})


if __name__ == "__main__":
    main()
