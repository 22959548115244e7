#!/usr/bin/env bash
# Side-by-side CNN training step: `sapling bench train --model cnn` (each GEMM provider) and bench/pytorch/train_cnn.py,
# interleaved for several rounds so both sides see the same machine noise; prints medians and ratios.
# Usage: bench/compare-train.sh [rounds]   (needs Debian's python3-torch; run from the repository root)
set -euo pipefail
rounds=${1:-5}
cd "$(dirname "$0")/.."
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
sapling=(dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll)
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${sapling[@]}" bench train --model cnn --json --blas managed > "$out/managed-$r.json"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/train_cnn.py --json > "$out/torch-$r.json"
  if ldconfig -p | grep -q libopenblas.so.0; then
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${sapling[@]}" bench train --model cnn --json --blas openblas > "$out/openblas-$r.json"
  fi
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def med(side, key):
    files = [f"{out}/{side}-{r}.json" for r in range(1, rounds + 1)]
    if not os.path.exists(files[0]): return None
    return statistics.median(json.load(open(f))[key] for f in files)
torch_step, torch_eval = med("torch", "ms_per_step"), med("torch", "eval_samples_per_s")
print("| side | ms/step (median) | eval samples/s | peak RSS MB | PyTorch step / this step |")
print("| --- | ---: | ---: | ---: | ---: |")
for side in ("managed", "openblas", "torch"):
    step = med(side, "ms_per_step")
    if step is None: continue
    name = {"managed": "Sapling (managed GEMM)", "openblas": "Sapling (OpenBLAS)", "torch": "PyTorch 1.13"}[side]
    print(f"| {name} | {step:.2f} | {med(side, 'eval_samples_per_s'):.0f} | {med(side, 'peak_rss_mb'):.0f} | {torch_step / step:.2f}x |")
PY
