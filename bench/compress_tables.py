"""Turns bench/compress.sh's results.jsonl into the markdown tables of docs/results.md (medians over rounds)."""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        rows[r["model"].rstrip("/").split("/")[-1]].append(r)


def med(name, key):
    return statistics.median(r[key] for r in rows[name])


def first(name, key):
    return rows[name][0][key]


def kib(name):
    return first(name, "weights_bytes") / 1024


def label(variant):
    if variant == "f32":
        return "float32"
    if variant == "int8":
        return "int8 (per-channel weights, dynamic activations)"
    kind = "structured" if variant.startswith("s") else "unstructured"
    ft = ", fine-tuned" if variant.endswith("-ft") else ""
    return f"{kind} {variant[1:4]}{ft}"


variants = ["f32", "int8"] + [f"{k}{s}{ft}" for k in "us" for s in ("0.3", "0.5", "0.7") for ft in ("", "-ft")]
print(f"int8 path: {first('cnn-int8', 'int8_path')}; medians of {len(rows['cnn-f32'])} rounds\n")
print("| digits CNN | model.safetensors KiB (×f32) | test accuracy | examples/s, batch 256 (×f32) |")
print("| --- | --- | --- | --- |")
base = "cnn-f32"
for v in variants:
    n = f"cnn-{v}"
    if n not in rows:
        continue
    print(f"| {label(v)} | {kib(n):.1f} ({kib(n) / kib(base):.2f}) | {100 * first(n, 'test_accuracy'):.2f} % | "
          f"{med(n, 'examples_per_s'):.0f} ({med(n, 'examples_per_s') / med(base, 'examples_per_s'):.2f}) |")
print()
print("| Tang GPT | model.safetensors KiB (×f32) | validation perplexity (×f32) | KV-cache generation tokens/s (×f32) | batched forward tokens/s (×f32) |")
print("| --- | --- | --- | --- | --- |")
base = "gpt-f32"
for v in variants:
    n = f"gpt-{v}"
    if n not in rows:
        continue
    print(f"| {label(v)} | {kib(n):.1f} ({kib(n) / kib(base):.2f}) | {first(n, 'validation_perplexity'):.2f} ({first(n, 'validation_perplexity') / first(base, 'validation_perplexity'):.3f}) | "
          f"{med(n, 'generate_tokens_per_s'):.0f} ({med(n, 'generate_tokens_per_s') / med(base, 'generate_tokens_per_s'):.2f}) | "
          f"{med(n, 'forward_tokens_per_s'):.0f} ({med(n, 'forward_tokens_per_s') / med(base, 'forward_tokens_per_s'):.2f}) |")
