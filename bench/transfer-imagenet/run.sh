#!/usr/bin/env bash
# Transfer learning from ImageNet on few labels: the embedded digits as 64 x 64 RGB images, ResNet-18 (CNTK's 2-2-2-3
# layout) started three ways: ImageNet weights (ML.NET's ResNet-18 ONNX, imported) with a new head, random weights
# trained fully, and a frozen random backbone with only the head trained. SEEDS seeds (each its own split and labelled
# subset) at 5, 10 and 20 labels per class; test accuracy per run in runs/transfer-imagenet/results.tsv, then a summary.
#   bash bench/transfer-imagenet/run.sh [SEEDS] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=${1:-5}
epochs=${2:-20}
sapling="dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll"
dotnet build src/Sapling.Cli -c Release >/dev/null
onnx=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.dnnimagefeaturizer.resnet18" -name ResNet18.onnx 2>/dev/null | head -1)
[ -n "$onnx" ] || { echo "ResNet18.onnx not found: restore tests/Sapling.Export.Tests (it downloads NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0)"; exit 1; }
[ -d runs/digit-images ] || /usr/bin/python3 bench/transfer-imagenet/make_digit_images.py runs/digit-images
# CNTK's network takes BGR pixels 0-255 minus a mean image; here RGB in [0, 1], normalised by the mean image's channel
# means (123.15, 115.90, 103.06 of 255) and a standard deviation of 1/255.
$sapling import onnx "$onnx" --out runs/imagenet-resnet18 --bgr --mean 0.4829,0.4545,0.4042 --std 0.003922,0.003922,0.003922 --image-size 64,64
out=runs/transfer-imagenet
mkdir -p "$out"
results="$out/results.tsv"
printf "labels\tseed\tstart\ttest_accuracy\n" > "$results"
for labels in 5 10 20; do
  for seed in $(seq 0 $((seeds - 1))); do
    common=(--set data.train_per_class=$labels --set data.split_seed=$seed --set train.seed=$seed --set train.epochs=$epochs)
    for start in imagenet scratch frozen-random; do
      case $start in
        imagenet) config=configs/digits-imagenet-transfer.yaml; extra=() ;;
        scratch) config=configs/digits-resnet18-scratch.yaml; extra=() ;;
        frozen-random) config=configs/digits-resnet18-scratch.yaml; extra=(--set train.freeze_backbone=true) ;;
      esac
      run="$out/$start-$labels-$seed"
      $sapling train "$config" --out "$run" "${common[@]}" "${extra[@]}" > "$run.log" 2>&1
      acc=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test']['accuracy'])" "$run/results.json")
      printf "%s\t%s\t%s\t%s\n" "$labels" "$seed" "$start" "$acc" | tee -a "$results"
    done
  done
done
/usr/bin/python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| labels per class | ImageNet start | from scratch | frozen random backbone |")
print("|---|---|---|---|")
for labels in ("5", "10", "20"):
    cells = []
    for start in ("imagenet", "scratch", "frozen-random"):
        accs = [float(r["test_accuracy"]) * 100 for r in rows if r["labels"] == labels and r["start"] == start]
        if accs:
            sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
            cells.append(f"{statistics.mean(accs):.1f} ± {sd:.1f} % (n={len(accs)})")
        else:
            cells.append("—")
    print(f"| {labels} | " + " | ".join(cells) + " |")
PY
