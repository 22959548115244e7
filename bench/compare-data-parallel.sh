#!/usr/bin/env bash
# Data-parallel training on this machine, 1 process x all cores' threads against 2 ranks x 1 thread (sapling train
# --nproc 2), interleaved for several rounds: the digits CNN for a few epochs, and a GPT of the shape of
# `sapling bench train --model gpt --config B` (6 layers, width 384, context 256, 8 rows; character vocabulary of the
# Tang poems) for a few steps; then MPI all-reduce over shared memory and over TCP loopback. Prints medians of train
# samples/s (epochs after the first), ms per GPT step, and the time in all-reduce.
# Usage: bench/compare-data-parallel.sh [rounds] [epochs]   (needs openmpi-bin; run from the repository root)
set -euo pipefail
rounds=${1:-3}
epochs=${2:-6}
cd "$(dirname "$0")/.."
build=$(mktemp -d)
out=$(mktemp -d)
trap 'rm -rf "$build" "$out"' EXIT
dotnet build src/Sapling.Cli -c Release -v q -nologo -o "$build" >/dev/null
common=(train configs/digits-cnn.yaml --plain --set "train.epochs=$epochs" --set train.patience=null)
gpt=(train configs/tang-char.yaml --plain --set model.dropout=0 --set model.layers=6 --set model.width=384 --set model.heads=6
  --set model.context=256 --set train.batch_size=8 --set train.steps=10 --set train.eval_interval=10 --set train.eval_batches=1
  --set train.sample_tokens=0 --set train.warmup_steps=2)
for r in $(seq "$rounds"); do
  env -u OPENBLAS_CORETYPE "$build/sapling" "${common[@]}" --out "$out/single-$r" >/dev/null
  env -u OPENBLAS_CORETYPE "$build/sapling" "${common[@]}" --out "$out/ranks-$r" --nproc 2 >/dev/null
  env -u OPENBLAS_CORETYPE "$build/sapling" "${gpt[@]}" --out "$out/gpt-single-$r" >/dev/null
  env -u OPENBLAS_CORETYPE "$build/sapling" "${gpt[@]}" --out "$out/gpt-ranks-$r" --nproc 2 >/dev/null
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def rate(run):
    lines = [json.loads(l) for l in open(f"{out}/{run}/metrics.jsonl")]
    return statistics.median(l["samples_per_s"] for l in lines[1:])
for side, label in (("single", "1 process x 2 threads"), ("ranks", "2 ranks x 1 thread")):
    rates = [rate(f"{side}-{r}") for r in range(1, rounds + 1)]
    line = f"{label}: median {statistics.median(rates):.0f} samples/s (rounds: {', '.join(f'{x:.0f}' for x in rates)})"
    if side == "ranks":
        logs = [open(f"{out}/ranks-{r}/train.log").read() for r in range(1, rounds + 1)]
        spent = [float(re.search(r"([0-9.]+) s in all-reduce", l).group(1)) for l in logs]
        hidden = [float(re.search(r"([0-9.]+) s waiting", l).group(1)) for l in logs]
        seconds = [sum(json.loads(l)["seconds"] for l in open(f"{out}/ranks-{r}/metrics.jsonl")) for r in range(1, rounds + 1)]
        line += f"; all-reduce {statistics.median(spent):.2f} s of {statistics.median(seconds):.2f} s training (waiting for it after backward: {statistics.median(hidden):.2f} s)"
    print(line)
for side, label in (("gpt-single", "GPT 1 process x 2 threads"), ("gpt-ranks", "GPT 2 ranks x 1 thread")):
    ms = [json.load(open(f"{out}/{side}-{r}/results.json"))["ms_per_step"] for r in range(1, rounds + 1)]
    line = f"{label}: median {statistics.median(ms):.0f} ms/step = {2048 / statistics.median(ms) * 1000:.0f} tokens/s (rounds: {', '.join(f'{x:.0f}' for x in ms)})"
    if side == "gpt-ranks":
        logs = [open(f"{out}/{side}-{r}/train.log").read() for r in range(1, rounds + 1)]
        spent = [float(re.search(r"([0-9.]+) s in all-reduce", l).group(1)) * 100 for l in logs]
        waited = [float(re.search(r"([0-9.]+) s waiting", l).group(1)) * 100 for l in logs]
        line += f"; all-reduce {statistics.median(spent):.0f} ms/step, of which {statistics.median(waited):.0f} ms/step not hidden behind backward"
    print(line)
PY
echo "all-reduce, shared memory:"
"$build/sapling" bench allreduce --nproc 2 --mb 0.001 1 4 25 100
echo "all-reduce, TCP loopback:"
OMPI_MCA_btl=tcp,self "$build/sapling" bench allreduce --nproc 2 --mb 0.001 1 4 25 100
