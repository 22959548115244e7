#!/usr/bin/env bash
# T5-small-shaped speed, Sapling against PyTorch in one sitting: ROUNDS rounds alternating the two sides, each round a
# training step (AdamW, 16 pairs of 64 -> 64 tokens; median of REPEATS steps after a warm-up) and beam-4 translation
# (8 sources of 64 tokens into 64 tokens). Prints the machine first (lscpu, a memory-bandwidth probe), then one JSON
# line per measurement. Usage: bash bench/seq2seq/compare-t5.sh [ROUNDS=3] [REPEATS=3] [TORCH_THREADS=2]
# (PyTorch 1.13 ran faster on one thread than on two on the 2-vCPU VM of 2026-12-06; measure both.)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
REPEATS=${2:-3}
TORCH_THREADS=${3:-2}
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | sed -E 's/(Flags:).*/\1 '"$(grep -o 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"'/'
/usr/bin/python3 - <<'PY'
import time, numpy as np
a = np.ones(256 * 1024 * 1024 // 4, dtype=np.float32); b = np.empty_like(a)
best = min((lambda: (lambda t: (np.copyto(b, a), time.perf_counter() - t)[1])(time.perf_counter()))() for _ in range(5))
print(f"memory bandwidth probe (numpy copy of 256 MiB, read + write): {2 * a.nbytes / best / 1e9:.1f} GB/s")
PY
dotnet build bench/seq2seq/Seq2SeqBench.csproj -c Release -v quiet -nologo > /dev/null
for round in $(seq "$ROUNDS"); do
  for what in train beam; do
    dotnet bench/seq2seq/bin/Release/net10.0/Seq2SeqBench.dll speed "$what" "$REPEATS"
    /usr/bin/python3 bench/seq2seq/t5_speed.py "$what" "$REPEATS" "$TORCH_THREADS"
  done
done
