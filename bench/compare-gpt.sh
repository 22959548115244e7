#!/usr/bin/env bash
# GPT side by side with PyTorch: training step for sizes A and B, and greedy generation (config A, batch 1,
# 16 + 128 tokens) with and without a KV cache. Rounds are interleaved; prints medians.
# Usage: bench/compare-gpt.sh [rounds]   (needs Debian's python3-torch; run from the repository root)
set -euo pipefail
rounds=${1:-3}
cd "$(dirname "$0")/.."
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
sapling=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll)
torch=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/gpt.py)
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  for size in A B; do
    "${sapling[@]}" bench train --model gpt --config $size --json > "$out/s-train-$size-$r.json"
    "${torch[@]}" train --config $size --json > "$out/t-train-$size-$r.json"
  done
  "${sapling[@]}" bench generate --json > "$out/s-gen-cache-$r.json"
  "${sapling[@]}" bench generate --no-cache --json > "$out/s-gen-nocache-$r.json"
  "${torch[@]}" generate --json > "$out/t-gen-cache-$r.json"
  "${torch[@]}" generate --no-cache --json > "$out/t-gen-nocache-$r.json"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
med = lambda name, key: statistics.median(json.load(open(f"{out}/{name}-{r}.json"))[key] for r in range(1, rounds + 1))
print("| measurement | Sapling | PyTorch 1.13 | ratio |")
print("| --- | ---: | ---: | ---: |")
for size in "AB":
    s, t = med(f"s-train-{size}", "ms_per_step"), med(f"t-train-{size}", "ms_per_step")
    print(f"| train step, config {size} (ms) | {s:.1f} | {t:.1f} | PyTorch/Sapling {t / s:.2f}x |")
    print(f"| peak RSS, config {size} (MB) | {med(f's-train-{size}', 'peak_rss_mb'):.0f} | {med(f't-train-{size}', 'peak_rss_mb'):.0f} | |")
for kind in ("cache", "nocache"):
    s, t = med(f"s-gen-{kind}", "tokens_per_s"), med(f"t-gen-{kind}", "tokens_per_s")
    label = "with KV cache" if kind == "cache" else "without cache"
    print(f"| generation {label} (tokens/s) | {s:.0f} | {t:.0f} | Sapling/PyTorch {s / t:.2f}x |")
PY
