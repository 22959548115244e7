#!/usr/bin/env python3
"""Builds an instruction set from the embedded Tang poems (data/zh-tang300.txt), for supervised fine-tuning.

Two kinds of conversation per poem: "《title》的作者是谁？" answered by the author's name, and "写一首题为《title》的诗。"
answered by the poem with its author line. The sft run holds out 10% of the conversations; a held-out author question
can be answered from a poem-writing example that names the author, which is what instruction tuning should teach.
Standard library only. Usage: python3 bench/make-tang-instructions.py [out.jsonl]  (default runs/data/tang-instructions.jsonl)
"""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "runs/data/tang-instructions.jsonl"
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
poems = [p.strip().split("\n") for p in open("data/zh-tang300.txt", encoding="utf-8").read().split("\n%\n") if p.strip()]
rows = []
for lines in poems:
    if len(lines) < 3 or not lines[1].startswith("作者："):
        continue
    title, author, verses = lines[0], lines[1][len("作者："):], lines[2:]
    rows.append({"messages": [{"role": "user", "content": f"{title}的作者是谁？"}, {"role": "assistant", "content": author}]})
    rows.append({"messages": [{"role": "user", "content": f"写一首题为{title}的诗。"}, {"role": "assistant", "content": "作者：" + author + "\n" + "\n".join(verses)}]})
with open(out, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(rows)} conversations from {len(poems)} poems in {out}")
