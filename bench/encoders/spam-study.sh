#!/usr/bin/env bash
# The encoder study of docs/results.md: spam F1 on SpamAssassin (same split and preprocessing as
# configs/spam-classify.yaml) for (1) all-MiniLM-L6-v2 fine-tuned in full, (2) the same with LoRA adapters on query and
# value (head trained whole), (3) a BERT pre-trained from scratch on the fortunes corpus by masked-LM
# (configs/fortunes-mlm.yaml) then fine-tuned in full; seeds 0, 1, 2 each. Every run's results.json stays under
# runs/spam-study/; the table is printed at the end. About 13 minutes per MiniLM run on 2 cores.
# Usage: [SEEDS="0 1 2"] bench/encoders/spam-study.sh [SAPLING_DLL]   (default: the Release build of the CLI)
set -euo pipefail
cd "$(dirname "$0")/../.."
dll=${1:-src/Sapling.Cli/bin/Release/net10.0/sapling.dll}
[ -f "$dll" ] || { echo "build first: dotnet build Sapling.slnx -c Release" >&2; exit 1; }
out=runs/spam-study
mkdir -p "$out"
[ -f "$out/minilm/config.json" ] || dotnet run --project bench/encoders -c Release -- folder "$out/minilm"
run() { # name seed extra-settings...
  local name=$1 seed=$2; shift 2
  [ -f "$out/$name-$seed/results.json" ] && return 0
  echo "== $name seed $seed ($(date +%T))"
  dotnet "$dll" finetune configs/spam-classify-minilm.yaml --out "$out/$name-$seed" \
    --set train.seed=$seed "$@" > "$out/$name-$seed.log" 2>&1
}
# One seed of each kind before the next seed, so a partial study still compares all three.
for seed in ${SEEDS:-0 1 2}; do
  run minilm-full $seed --set model.path=$out/minilm
  run minilm-lora $seed --set model.path=$out/minilm --set classify.tuning=lora --set lora.r=8 --set lora.alpha=16 --set train.lr=1e-3
  # The encoder with the best validation loss (the same folder whether the pre-training finished or was stopped).
  [ -f "$out/mlm/best-model/config.json" ] || dotnet "$dll" train configs/fortunes-mlm.yaml --out "$out/mlm" > "$out/mlm.log" 2>&1
  run scratch-full $seed --set model.path=$out/mlm/best-model
done
/usr/bin/python3 - "$out" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
for name in ("minilm-full", "minilm-lora", "scratch-full"):
    f1 = []
    for seed in (0, 1, 2):
        p = os.path.join(out, f"{name}-{seed}", "results.json")
        if os.path.exists(p):
            t = json.load(open(p))["test"]
            f1.append(t["f1_spam"]); print(f"{name} seed {seed}: test F1 {t['f1_spam']:.4f} accuracy {t['accuracy']:.4f}")
    if f1: print(f"{name}: mean F1 {statistics.mean(f1):.4f} ± {statistics.pstdev(f1):.4f} over {len(f1)} seeds")
PY
