#!/usr/bin/env python3
"""Builds DPO preference pairs from the embedded Tang poems (data/zh-tang300.txt).

For every couplet "A，B。" of a poem: the prompt is the poem's title, the verse before and "A，", the chosen
response is the real second line "B。", and there are two rejected ones, each its own pair: the same characters in a
shuffled order, and the line cut short by two characters. A model that has learnt verse should prefer the real line.
The dpo run splits pairs by prompt, so a couplet is either trained on or held out. Standard library only;
deterministic (seed 0).
Usage: python3 bench/make-tang-preferences.py [out.jsonl]   (default runs/data/tang-preferences.jsonl)
"""
import json
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "runs/data/tang-preferences.jsonl"
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
rng = random.Random(0)
poems = [p.strip().split("\n") for p in open("data/zh-tang300.txt", encoding="utf-8").read().split("\n%\n") if p.strip()]
pairs = []
for lines in poems:
    if len(lines) < 3:
        continue
    title, verses = lines[0], lines[2:]
    previous = ""
    for verse in verses:
        if "，" not in verse or not verse.endswith(("。", "？", "！")):
            previous = verse + "\n"
            continue
        first, second = verse.split("，", 1)
        body, end = second[:-1], second[-1]
        shuffled = list(body)
        for _ in range(10):
            rng.shuffle(shuffled)
            if "".join(shuffled) != body:
                break
        if len(body) >= 3 and "".join(shuffled) != body:
            prompt = title + "\n" + previous + first + "，"
            pairs.append({"prompt": prompt, "chosen": body + end, "rejected": "".join(shuffled) + end, "kind": "shuffled"})
            pairs.append({"prompt": prompt, "chosen": body + end, "rejected": body[:-2] + end, "kind": "truncated"})
        previous = verse + "\n"
with open(out, "w", encoding="utf-8") as f:
    for p in pairs:
        f.write(json.dumps(p, ensure_ascii=False) + "\n")
print(f"{len(pairs)} pairs from {len(poems)} poems in {out}")
