#!/usr/bin/env bash
# The post-training demonstrations of docs/results.md, one after another (about an hour on 2 cores):
# pretrain a character GPT on Chinese prose, adapt it to the Tang poems three ways (full, LoRA, prompt tuning),
# instruction-tune the adapted model (SFT), tune the prose model on preference pairs (DPO), and distil it into a
# small student next to the same student trained alone; and a spam filter on an English GPT.
# Usage: bench/post-training.sh [step ...]   steps: pretrain adapt sft dpo distill spam summary (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@"); [ ${#steps[@]} -eq 0 ] && steps=(pretrain adapt sft dpo distill spam summary)
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
sapling=(dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll)
for step in "${steps[@]}"; do
  case $step in
    pretrain) [ -f runs/zh-pretrain/model/model.safetensors ] || "${sapling[@]}" train configs/zh-pretrain.yaml --out runs/zh-pretrain --plain ;;
    adapt) for m in full lora prompt; do "${sapling[@]}" finetune configs/tang-$m.yaml --out runs/tang-$m --plain; done ;;
    sft) python3 bench/make-tang-instructions.py && "${sapling[@]}" finetune configs/tang-sft.yaml --out runs/tang-sft --plain ;;
    dpo) python3 bench/make-tang-preferences.py && "${sapling[@]}" finetune configs/tang-dpo.yaml --out runs/tang-dpo --plain ;;
    distill) "${sapling[@]}" finetune configs/zh-distill.yaml --out runs/zh-distill --plain
             "${sapling[@]}" train configs/zh-student.yaml --out runs/zh-student --plain ;;
    spam) [ -f runs/fortunes-bpe/model/model.safetensors ] || "${sapling[@]}" train configs/fortunes-bpe.yaml --out runs/fortunes-bpe --plain --set train.steps=800
          "${sapling[@]}" finetune configs/spam-classify.yaml --out runs/spam-classify --plain ;;
    summary) python3 - <<'PY'
import json, math, os
def load(name):
    path = f"runs/{name}/results.json"
    return json.load(open(path)) if os.path.exists(path) else None
print("| run | method | val loss | val perplexity | before | trainable | all params | trainable % | ms/step | peak RSS MB |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name in ["zh-pretrain", "tang-full", "tang-lora", "tang-prompt", "tang-sft", "tang-dpo", "zh-distill", "zh-student", "spam-classify"]:
    r = load(name)
    if r is None: continue
    before = f"{r['base_val_loss']:.3f} (ppl {math.exp(r['base_val_loss']):.1f})" if "base_val_loss" in r else ""
    if "test" in r: print(f"| {name} test split | | accuracy {r['test']['accuracy']:.4f}, F1 spam {r['test'].get('f1_spam', float('nan')):.4f}, macro F1 {r['test']['macro_f1']:.4f} | | | | | | | |")
    extra = "".join(f"; {k} {r[k]:.3f}" for k in ("reward_accuracy", "reward_margin", "teacher_val_loss", "exact_match", "base_exact_match", "base_reward_accuracy") if k in r)
    print(f"| {name} | {r['method']} | {r['val_loss']:.3f}{extra} | {r['val_perplexity']:.2f} | {before} | {r['trainable_params']:,} | {r['all_params']:,} | {100 * r['trainable_params'] / r['all_params']:.2f}% | {r['ms_per_step']:.0f} | {r['peak_rss_mb']:.0f} |")
PY
    ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
