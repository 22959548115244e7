#!/usr/bin/env python3
"""Cuts a byte-level BPE tokenizer.json down to its first N ids (the merges that only make tokens below N), so a
random benchmark model with a smaller vocabulary (TinyLlama's 32,000) has a real tokenizer to carry into GGUF.

    /usr/bin/python3 bench/llamacpp/truncate_tokenizer.py SRC/tokenizer.json 32000 DST/tokenizer.json
"""
import json
import sys

src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = json.load(open(src, encoding="utf-8"))
vocab = {t: i for t, i in d["model"]["vocab"].items() if i < n}
merges = []
for m in d["model"]["merges"]:
    a, b = m.split(" ", 1) if isinstance(m, str) else m
    if a in vocab and b in vocab and a + b in vocab:
        merges.append(m)
d["model"]["vocab"] = vocab
d["model"]["merges"] = merges
# The special tokens get the last ids of the cut vocabulary, so every id stays below N.
added = d.get("added_tokens", [])[:2]
for k, t in enumerate(added):
    old = [s for s, i in vocab.items() if i == n - len(added) + k]
    for s in old:
        del vocab[s]
    t["id"] = n - len(added) + k
d["added_tokens"] = added
d["post_processor"] = None
json.dump(d, open(dst, "w", encoding="utf-8"), ensure_ascii=False)
print(f"{dst}: {len(vocab)} tokens + {len(added)} special, {len(merges)} merges")
