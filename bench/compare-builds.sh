#!/usr/bin/env bash
# Two builds of sapling side by side, rounds alternated: training step (CNN, GPT) and generation speed, medians.
#   bench/compare-builds.sh BASE_SAPLING NEW_SAPLING [rounds]
# Build each side with `dotnet build src/Sapling.Cli -c Release` (a git worktree for the base), then pass the two
# bin/Release/net10.0/sapling executables. Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
base=$1; new=$2; rounds=${3:-5}
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  for side in base new; do
    exe=${!side}
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$exe" bench train --model cnn --json | tail -1 >> "$out/$side-cnn.jsonl"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$exe" bench train --model gpt --json | tail -1 >> "$out/$side-gpt.jsonl"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$exe" bench generate --json | tail -1 >> "$out/$side-generate.jsonl"
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
d = sys.argv[1]
def med(name, key):
    return statistics.median(json.loads(l)[key] for l in open(f"{d}/{name}.jsonl"))
print("| workload | base | new | new / base |")
print("| --- | ---: | ---: | ---: |")
for name, key, unit in [("cnn", "ms_per_step", "ms/step"), ("gpt", "ms_per_step", "ms/step"), ("generate", "tokens_per_s", "tokens/s")]:
    b, n = med(f"base-{name}", key), med(f"new-{name}", key)
    print(f"| {name} {unit} | {b:.2f} | {n:.2f} | {n / b:.3f} |")
for name in ["cnn", "gpt", "generate"]:
    print(f"| {name} peak RSS MB | {med(f'base-{name}', 'peak_rss_mb'):.0f} | {med(f'new-{name}', 'peak_rss_mb'):.0f} | |")
PY
rm -rf "$out"
