#!/usr/bin/env bash
# Int8 quantisation and pruning trade-offs for the digits CNN and the Tang-poem GPT: builds the CLI (Release, into a
# private folder), trains both models if their run folders are missing, writes every compressed variant, then times
# each folder ROUNDS times, interleaving the variants so that machine noise spreads over all of them, and prints the
# tables of docs/results.md (medians over rounds; each round is itself the median of REPEATS runs).
#   bench/compress.sh                  # everything (about 10 minutes on 2 cores)
#   ROUNDS=5 PAIRS=11 REPEATS=9 bench/compress.sh
# The float32 / int8 comparison gets its own PAIRS rounds, alternating the two folders, since its ratios are the
# headline figures.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI_DIR=${CLI_DIR:-/tmp/sapling-compress-cli}
RUNS=${RUNS:-runs}
ROUNDS=${ROUNDS:-3}
PAIRS=${PAIRS:-9}
REPEATS=${REPEATS:-7}
CNN_FT_STEPS=${CNN_FT_STEPS:-300}
GPT_FT_STEPS=${GPT_FT_STEPS:-200}
OUT=$RUNS/compress

dotnet build src/Sapling.Cli -c Release -o "$CLI_DIR" -v quiet -nologo
S="dotnet $CLI_DIR/sapling.dll"
[ -f "$RUNS/digits-cnn/model/config.json" ] || $S train configs/digits-cnn.yaml --out "$RUNS/digits-cnn"
[ -f "$RUNS/tang-char/model/config.json" ] || $S train configs/tang-char.yaml --out "$RUNS/tang-char"
mkdir -p "$OUT"

# name  source-folder  training-config  fine-tune-steps  fine-tune-lr
make_variants() {
  local name=$1 src=$2 config=$3 steps=$4 lr=$5
  rm -rf "$OUT/$name-"*
  ln -sfn "$(realpath "$src")" "$OUT/$name-f32"
  $S quantize --model "$src" --out "$OUT/$name-int8"
  # Control: the same fine-tune without pruning, to tell what the fine-tune alone changes.
  $S prune --model "$src" --sparsity 0 --finetune-steps "$steps" --lr "$lr" --config "$config" --out "$OUT/$name-u0.0-ft"
  for s in 0.3 0.5 0.7; do
    $S prune --model "$src" --sparsity $s --out "$OUT/$name-u$s"
    $S prune --model "$src" --sparsity $s --finetune-steps "$steps" --lr "$lr" --config "$config" --out "$OUT/$name-u$s-ft"
    $S prune --model "$src" --sparsity $s --structured --out "$OUT/$name-s$s"
    $S prune --model "$src" --sparsity $s --structured --finetune-steps "$steps" --lr "$lr" --config "$config" --out "$OUT/$name-s$s-ft"
  done
}
# SKIP_MAKE=1 times the folders an earlier run wrote, without writing them again.
if [ "${SKIP_MAKE:-0}" != 1 ]; then
  make_variants cnn "$RUNS/digits-cnn/model" configs/digits-cnn.yaml "$CNN_FT_STEPS" 1e-3
  make_variants gpt "$RUNS/tang-char/model" configs/tang-char.yaml "$GPT_FT_STEPS" 3e-4
fi

RESULTS=$OUT/results.jsonl
: > "$RESULTS"
for round in $(seq "$ROUNDS"); do
  for dir in "$OUT"/cnn-* "$OUT"/gpt-*; do
    case $(basename "$dir") in cnn-*) config=configs/digits-cnn.yaml ;; *) config=configs/tang-char.yaml ;; esac
    $S bench infer --model "$dir" --config "$config" --repeats "$REPEATS" --json >> "$RESULTS"
  done
done
SPEED=$OUT/speed.jsonl
: > "$SPEED"
for round in $(seq "$PAIRS"); do
  for name in cnn gpt; do
    for variant in f32 int8; do
      $S bench infer --model "$OUT/$name-$variant" --repeats "$REPEATS" --json >> "$SPEED"
    done
  done
done
/usr/bin/python3 bench/compress_tables.py "$RESULTS" "$SPEED" | tee "$OUT/tables.md"
