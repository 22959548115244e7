#!/usr/bin/env bash
# BLEU and chrF of held-out Tang verse: for every couplet "A，B。" of the 31 held-out poems (the 10% split by poem with
# seed 0 that the Tang runs hold out), the model continues "title / author / verse so far / A，" greedily and the
# continuation up to the line's end is scored against the real B, character by character. Compares the base prose
# model with the Tang-adapted one. Usage: bench/tang-bleu.sh [model ...]   (default: runs/zh-pretrain/model runs/tang-full/model)
set -euo pipefail
cd "$(dirname "$0")/.."
models=("$@"); [ ${#models[@]} -eq 0 ] && models=(runs/zh-pretrain/model runs/tang-full/model)
dotnet build src/Sapling.Cli -c Release -v q -nologo >/dev/null
sapling=(dotnet src/Sapling.Cli/bin/Release/net10.0/sapling.dll)
out=runs/tang-bleu
mkdir -p "$out"
"${sapling[@]}" data split --input data/zh-tang300.txt --out-dir "$out/split" --validation 0.1 --seed 0 >/dev/null
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
prompts, refs = [], []
for line in open(f"{out}/split/validation.jsonl", encoding="utf-8"):
    lines = json.loads(line)["text"].strip().split("\n")
    head, verses = lines[0] + "\n" + lines[1] + "\n", lines[2:]
    done = ""
    for verse in verses:
        if "，" in verse and verse[-1] in "。？！":
            first, second = verse.split("，", 1)
            # Keep the prompt short enough that prompt + answer fit a 64-character context.
            context = (head + done)[-40:] + first + "，"
            prompts.append(context)
            refs.append(second[:-1])
        done += verse + "\n"
json.dump(prompts, open(f"{out}/prompts.json", "w"), ensure_ascii=False)
open(f"{out}/references.txt", "w", encoding="utf-8").write("\n".join(refs) + "\n")
print(f"{len(prompts)} held-out couplets")
PY
for model in "${models[@]}"; do
  name=$(basename "$(dirname "$model")")
  python3 - "$out" "$name" "${sapling[@]}" generate --model "$model" --max-new-tokens 9 --temperature 0 --json <<'PY'
import json, subprocess, sys
out, name, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
prompts = json.load(open(f"{out}/prompts.json"))
args = cmd + [a for p in prompts for a in ("--prompt", p)]
result = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
hyps = []
for r in result:
    text = r["text"]
    for stop in "。？！\n，":
        text = text.split(stop)[0]
    hyps.append(text.strip() or "∅")
open(f"{out}/{name}.txt", "w", encoding="utf-8").write("\n".join(hyps) + "\n")
PY
  bleu=$("${sapling[@]}" eval --metric bleu --hypotheses "$out/$name.txt" --references "$out/references.txt" --tokenize char --smoothing epsilon --json)
  chrf=$("${sapling[@]}" eval --metric chrf --hypotheses "$out/$name.txt" --references "$out/references.txt" --json)
  echo "$name: bleu $bleu chrf $chrf"
done
