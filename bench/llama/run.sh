#!/usr/bin/env bash
# Real-size Llama-family models against PyTorch (docs/benchmarks.md): random bf16 folders at the shapes of
# Qwen2.5-0.5B and TinyLlama-1.1B, `sapling bench llm` and bench/llama/torch_llm.py alternated, ROUNDS rounds each.
# Usage: bench/llama/run.sh [ROUNDS] [SHAPE...]   (shapes: qwen2.5-0.5b tinyllama-1.1b)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}; shift || true
shapes=("${@:-qwen2.5-0.5b}")
[ $# -eq 0 ] && shapes=(qwen2.5-0.5b tinyllama-1.1b)
lscpu | grep -E "Model name|^CPU\(s\)" ; grep -o 'avx512[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
dotnet build src/Sapling.Cli -c Release -v q >/dev/null
sapling() { dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll "$@"; }
for shape in "${shapes[@]}"; do
  dir=/tmp/sapling-bench-$shape
  [ -f "$dir/config.json" ] || /usr/bin/python3 bench/llama/make_random_model.py "$shape" "$dir"
  for round in $(seq "$rounds"); do
    echo "== $shape round $round: sapling"
    sapling bench llm --model "$dir" --prompt-tokens 512 --new-tokens 256 --json
    echo "== $shape round $round: pytorch"
    /usr/bin/python3 bench/llama/torch_llm.py "$dir" --prompt-tokens 512 --new-tokens 32
  done
  echo "== $shape: sapling, 2000 tokens (resident memory over a long generation)"
  sapling bench llm --model "$dir" --prompt-tokens 16 --new-tokens 2000 --json
done
