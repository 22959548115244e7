#!/usr/bin/env bash
# Side-by-side timing of the fused ops: Sapling (`sapling bench ops`) and PyTorch (bench/pytorch/ops.py), interleaved
# for several rounds so both see the same machine noise; prints the median of each and the ratio.
# Usage: bench/compare-ops.sh [rounds]   (needs Debian's python3-torch; run from the repository root)
set -euo pipefail
rounds=${1:-5}
cd "$(dirname "$0")/.."
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
sapling=(dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll)
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${sapling[@]}" bench ops --json > "$out/sapling-$r.json"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/ops.py --json > "$out/torch-$r.json"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(side):
    runs = [json.load(open(f"{out}/{side}-{r}.json")) for r in range(1, rounds + 1)]
    return {row["op"]: (row["shape"], statistics.median(run[i]["ms"] for run in runs)) for i, row in enumerate(runs[0])}
s, t = load("sapling"), load("torch")
print(f"| op | shape | Sapling ms | PyTorch ms | PyTorch/Sapling |")
print(f"| --- | --- | ---: | ---: | ---: |")
for op, (shape, ms) in s.items():
    print(f"| {op} | {shape} | {ms:.3f} | {t[op][1]:.3f} | {t[op][1] / ms:.2f}x |")
PY
