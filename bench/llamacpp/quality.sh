#!/usr/bin/env bash
# What GGUF quantisation costs a model Sapling trained on real text (docs/results.md): the Llama-style Chinese model of
# configs/zh-pretrain-llama.yaml at width 256 (so K-quant rows are whole 256-element super-blocks), trained on all of
# zh-chinese.txt but every 20th line, then exported as f32, q8_0, q6_k and q4_k_m GGUF (and q4_k_m quantised by
# llama.cpp from the f32 file) and evaluated by `sapling eval` on those held-out lines (same kind of text as the training
# lines; the file's last lines are a different kind of text, so a tail split measures something else). The float32
# folder and its per-channel int8 copy (`sapling quantize`) are evaluated too.
# Usage: bench/llamacpp/quality.sh [RUN_FOLDER]
set -euo pipefail
cd "$(dirname "$0")/../.."
run=${1:-runs/zh-llama-256}
dotnet build src/Sapling.Cli -c Release -v q >/dev/null
sapling() { dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll "$@"; }
/usr/bin/python3 - <<'PY'
lines = open("../shared/datasets/zh-chinese.txt", encoding="utf-8").read().split("\n")
train = [line for i, line in enumerate(lines) if i % 20 != 19]
held = [line for i, line in enumerate(lines) if i % 20 == 19]
open("/tmp/zh-train.txt", "w", encoding="utf-8").write("\n".join(train))
open("/tmp/zh-heldout.txt", "w", encoding="utf-8").write("\n".join(held))
print(f"{len(train)} training lines, {len(held)} held-out lines")
PY
[ -f "$run/best-model/config.json" ] || sapling train configs/zh-pretrain-llama.yaml --set data.corpus=/tmp/zh-train.txt --set model.width=256 --out "$run"
for type in f32 q8_0 q6_k q4_k_m; do
  sapling export --model "$run/best-model" --format gguf --type "$type" --out "/tmp/zh-llama-256-$type.gguf" >/dev/null
  echo "$type (Sapling): $(sapling eval --model "/tmp/zh-llama-256-$type.gguf" --data /tmp/zh-heldout.txt --context 64 --json)"
done
if [ -f bench/llamacpp/bin/Release/net10.0/LlamaCppBench.dll ] || dotnet build bench/llamacpp -c Release -v q >/dev/null; then
  dotnet bench/llamacpp/bin/Release/net10.0/LlamaCppBench.dll --quantize /tmp/zh-llama-256-f32.gguf /tmp/zh-llama-256-llamacpp-q4_k_m.gguf q4_k_m >/dev/null
  echo "q4_k_m (llama.cpp's quantiser): $(sapling eval --model /tmp/zh-llama-256-llamacpp-q4_k_m.gguf --data /tmp/zh-heldout.txt --context 64 --json)"
fi
echo "folder (float32): $(sapling eval --model "$run/best-model" --data /tmp/zh-heldout.txt --context 64 --json)"
# Sapling's per-channel int8 folder, against the float32 folder (same tokenizer.json).
rm -rf /tmp/zh-llama-256-int8
sapling quantize --model "$run/best-model" --out /tmp/zh-llama-256-int8 >/dev/null
echo "folder (int8, per channel): $(sapling eval --model /tmp/zh-llama-256-int8 --data /tmp/zh-heldout.txt --context 64 --json)"
