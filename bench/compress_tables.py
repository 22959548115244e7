"""Turns bench/compress.sh's results.jsonl into the markdown tables of docs/results.md (medians over rounds)."""
import json
import statistics
import sys
from collections import defaultdict

def read(path):
    found = defaultdict(list)
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            found[r["model"].rstrip("/").split("/")[-1]].append(r)
    return found


rows = read(sys.argv[1])
pairs = read(sys.argv[2]) if len(sys.argv) > 2 else None


def med(name, key):
    return statistics.median(r[key] for r in rows[name])


def ratio(name, base, key):
    """Median over rounds of this variant's speed over the float32 speed of the same round (drift cancels)."""
    return statistics.median(a[key] / b[key] for a, b in zip(rows[name], rows[base]))


def first(name, key):
    return rows[name][0][key]


def kib(name):
    return first(name, "weights_bytes") / 1024


def label(variant):
    if variant == "f32":
        return "float32"
    if variant == "int8":
        return "int8 (per-channel weights, dynamic activations)"
    if variant == "u0.0-ft":
        return "float32, fine-tuned, not pruned (control)"
    kind = "structured" if variant.startswith("s") else "unstructured"
    ft = ", fine-tuned" if variant.endswith("-ft") else ""
    return f"{kind} {variant[1:4]}{ft}"


variants = ["f32", "int8", "u0.0-ft"] + [f"{k}{s}{ft}" for k in "us" for s in ("0.3", "0.5", "0.7") for ft in ("", "-ft")]
print(f"int8 path: {first('cnn-int8', 'int8_path')}; speeds are medians of {len(rows['cnn-f32'])} rounds, ratios the median over rounds of variant / float32 in the same round\n")
if pairs:
    def pmed(name, key):
        return statistics.median(r[key] for r in pairs[name])

    print(f"float32 against int8, {len(pairs['cnn-f32'])} alternating rounds (medians):\n")
    print("| model | size KiB f32 → int8 (×) | quality f32 → int8 | speed f32 → int8 (×) |")
    print("| --- | --- | --- | --- |")
    print(f"| digits CNN | {kib('cnn-f32'):.1f} → {kib('cnn-int8'):.1f} ({kib('cnn-f32') / kib('cnn-int8'):.2f}× smaller) | "
          f"test accuracy {100 * first('cnn-f32', 'test_accuracy'):.2f} % → {100 * first('cnn-int8', 'test_accuracy'):.2f} % | "
          f"{pmed('cnn-f32', 'examples_per_s'):.0f} → {pmed('cnn-int8', 'examples_per_s'):.0f} examples/s, batch 256 ({pmed('cnn-int8', 'examples_per_s') / pmed('cnn-f32', 'examples_per_s'):.2f}×) |")
    for key, what in (("generate_tokens_per_s", "KV-cache generation, batch 1"), ("forward_tokens_per_s", "batched forward, 16 × 64")):
        print(f"| Tang GPT | {kib('gpt-f32'):.1f} → {kib('gpt-int8'):.1f} ({kib('gpt-f32') / kib('gpt-int8'):.2f}× smaller) | "
              f"validation perplexity {first('gpt-f32', 'validation_perplexity'):.2f} → {first('gpt-int8', 'validation_perplexity'):.2f} "
              f"({100 * (first('gpt-int8', 'validation_perplexity') / first('gpt-f32', 'validation_perplexity') - 1):+.2f} %) | "
              f"{pmed('gpt-f32', key):.0f} → {pmed('gpt-int8', key):.0f} tokens/s, {what} ({pmed('gpt-int8', key) / pmed('gpt-f32', key):.2f}×) |")
    print()
print("| digits CNN | model.safetensors KiB (×f32) | test accuracy | examples/s, batch 256 (×f32) |")
print("| --- | --- | --- | --- |")
base = "cnn-f32"
for v in variants:
    n = f"cnn-{v}"
    if n not in rows:
        continue
    print(f"| {label(v)} | {kib(n):.1f} ({kib(n) / kib(base):.2f}) | {100 * first(n, 'test_accuracy'):.2f} % | "
          f"{med(n, 'examples_per_s'):.0f} ({ratio(n, base, 'examples_per_s'):.2f}) |")
print()
print("| Tang GPT | model.safetensors KiB (×f32) | validation perplexity (×f32) | KV-cache generation tokens/s (×f32) | batched forward tokens/s (×f32) |")
print("| --- | --- | --- | --- | --- |")
base = "gpt-f32"
for v in variants:
    n = f"gpt-{v}"
    if n not in rows:
        continue
    print(f"| {label(v)} | {kib(n):.1f} ({kib(n) / kib(base):.2f}) | {first(n, 'validation_perplexity'):.2f} ({first(n, 'validation_perplexity') / first(base, 'validation_perplexity'):.3f}) | "
          f"{med(n, 'generate_tokens_per_s'):.0f} ({ratio(n, base, 'generate_tokens_per_s'):.2f}) | "
          f"{med(n, 'forward_tokens_per_s'):.0f} ({ratio(n, base, 'forward_tokens_per_s'):.2f}) |")
