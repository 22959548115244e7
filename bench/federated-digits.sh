#!/usr/bin/env bash
# Federated training on the digits (configs/digits-federated.yaml, 10 client processes): IID FedAvg against
# centralised training with the same epoch budget, then label-skewed (Dirichlet α) shards with FedAvg and FedProx.
# Usage: bench/federated-digits.sh [SAPLING_DLL] [OUT_DIR]   (prints a markdown table; runs take about a minute each)
# Environment: ALPHAS (Dirichlet concentrations, default "0.1"), MUS (FedProx μ values, default "0.01 0.1 1"),
# EXTRA (more --set overrides for every run, e.g. "--set federated.local_epochs=5").
set -euo pipefail
cd "$(dirname "$0")/.."
dll=${1:-src/Sapling.Cli/bin/Release/net10.0/sapling.dll}
out=${2:-runs/federated}
[ -f "$dll" ] || dotnet build src/Sapling.Cli -c Release >/dev/null
run() { # name, overrides...
  local name=$1; shift
  # shellcheck disable=SC2086
  dotnet "$dll" federated configs/digits-federated.yaml --out "$out/$name" "$@" ${EXTRA:-} > "$out/$name.log" 2>&1
  /usr/bin/python3 - "$out/$name" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/results.json"))
rounds = [json.loads(line) for line in open(sys.argv[1] + "/metrics.jsonl")]
central = "" if r["centralized_accuracy"] is None else "%.2f" % (100 * r["centralized_accuracy"])
gap = "" if r["gap_points"] is None else "%.2f" % r["gap_points"]
early = "%.1f" % (100 * rounds[min(4, len(rounds) - 1)]["test_accuracy"])
reach = next((str(x["round"]) for x in rounds if x["test_accuracy"] >= 0.95), "never")
print("| %s | %s | %s | %.2f | %s | %s |" % (sys.argv[2], early, reach, 100 * r["test_accuracy"], central, gap))
PY
}
mkdir -p "$out"
echo "| run | accuracy after round 5 % | first round ≥ 95% | final accuracy % | centralised % | gap (points) |"
echo "|---|---:|---:|---:|---:|---:|"
run iid-fedavg
for alpha in ${ALPHAS:-0.1}; do
  run "dirichlet$alpha-fedavg" --set federated.split=dirichlet --set federated.alpha=$alpha
  for mu in ${MUS:-0.01 0.1 1}; do
    run "dirichlet$alpha-fedprox-mu$mu" --set federated.split=dirichlet --set federated.alpha=$alpha --set federated.algorithm=fedprox --set federated.mu=$mu
  done
done
