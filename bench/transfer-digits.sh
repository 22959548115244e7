#!/usr/bin/env bash
# Transfer learning on the embedded digits: pretrain a small ResNet on digits 0-4, then learn digits 5-9 from 10% of
# their training split, starting from the pretrained residual stages versus from random weights. The same seeds on
# both sides; prints each test accuracy, the means and medians, and the paired comparison (wins, losses, mean
# difference and its t statistic). Usage: bench/transfer-digits.sh [seeds]   (from the repository root)
set -euo pipefail
seeds=${1:-20}
cd "$(dirname "$0")/.."
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
sapling=(dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll)
out=$(mktemp -d)
"${sapling[@]}" train configs/digits-pretrain-0to4.yaml --out runs/digits-pretrain-0to4 --plain | grep '^test accuracy' | head -1
for seed in $(seq 0 $((seeds - 1))); do
  for side in transfer scratch; do
    "${sapling[@]}" train configs/digits-$side-5to9.yaml --out "$out/$side-$seed" --plain --set train.seed=$seed >/dev/null
    acc=$(/usr/bin/env python3 -c "import json,sys; print(json.load(open('$out/$side-$seed/results.json'))['test']['accuracy'])")
    echo "$side seed $seed: $acc" | tee -a "$out/all.txt"
  done
done
python3 - "$out/all.txt" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
acc = {side: [float(r[3]) for r in rows if r[0] == side] for side in ("transfer", "scratch")}
for side, accs in acc.items():
    print(f"{side}: mean test accuracy {statistics.mean(accs):.4f}, median {statistics.median(accs):.4f} (min {min(accs):.4f}, max {max(accs):.4f}, {len(accs)} seeds)")
diff = [t - s for t, s in zip(acc["transfer"], acc["scratch"])]
wins, losses = sum(d > 1e-9 for d in diff), sum(d < -1e-9 for d in diff)
line = f"paired by seed: transfer better {wins}, worse {losses}, tied {len(diff) - wins - losses}; mean difference {statistics.mean(diff) * 100:+.2f} points"
if len(diff) > 1 and statistics.stdev(diff) > 0:
    line += f", t = {statistics.mean(diff) / (statistics.stdev(diff) / len(diff) ** 0.5):.2f}"
print(line)
PY
