#!/usr/bin/env bash
# SGEMM: managed kernel vs OpenBLAS (each provider in its own process, as `sapling bench gemm` does), repeated for
# several rounds; prints the median GFLOP/s per shape and provider, and managed/OpenBLAS.
# Usage: bench/compare-gemm.sh [rounds]   (run from the repository root; needs libopenblas0-pthread for the ratio)
set -euo pipefail
rounds=${1:-5}
cd "$(dirname "$0")/.."
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll bench gemm --json > "$out/$r.json"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rows = [row for r in range(1, rounds + 1) for row in json.load(open(f"{out}/{r}.json"))]
def med(m, k, n, provider, key="gflops"):
    vals = [r[key] for r in rows if (r["m"], r["k"], r["n"], r["provider"]) == (m, k, n, provider)]
    return statistics.median(vals) if vals else None
shapes = sorted({(r["m"], r["k"], r["n"]) for r in rows}, key=lambda s: [(256,256,256),(512,512,512),(1024,1024,1024),(2048,2048,2048),(2048,256,768),(2048,1024,256)].index(s))
print(f"peak (assumed clock): {rows[0]['peak_gflops']} GFLOP/s, {rows[0]['threads']} threads, median of {rounds} rounds")
print("| M | K | N | managed GFLOP/s | OpenBLAS GFLOP/s | managed / OpenBLAS | OpenBLAS MatMul / raw sgemm |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for m, k, n in shapes:
    a, b = med(m, k, n, "managed"), med(m, k, n, "openblas")
    mm = med(m, k, n, "openblas", "matmul_gflops")
    ratio = f"{a / b:.2f}" if b else "-"
    api = f"{mm / b:.2f}" if b else "-"
    print(f"| {m} | {k} | {n} | {a:.1f} | {b:.1f} | {ratio} | {api} |" if b else f"| {m} | {k} | {n} | {a:.1f} | - | - | - |")
PY
