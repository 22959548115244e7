#!/usr/bin/env bash
# Two "machines" on one: network namespaces A and B joined by a veth pair (10.77.x.1 <-> 10.77.x.2), Open MPI over TCP
# between them (no shared memory), mpirun in A starting its daemon in B through `ip netns exec` instead of ssh. Runs
# `sapling bench allreduce` and a short data-parallel training across the pair, then removes everything it made.
# Usage (root; iproute2 and openmpi-bin): bench/mpi-two-namespaces.sh [epochs]
set -euo pipefail
epochs=${1:-3}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns)"; exit 2; }
command -v mpirun >/dev/null || { echo "needs Open MPI: apt-get install openmpi-bin"; exit 2; }
tag=$$
subnet=$((tag % 200 + 20))
a=sapling-a-$tag b=sapling-b-$tag
ipa=10.77.$subnet.1 ipb=10.77.$subnet.2
work=$(mktemp -d)
cleanup() {
  ip netns pids "$b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add "va$tag" type veth peer name "vb$tag"
ip link set "va$tag" netns "$a"
ip link set "vb$tag" netns "$b"
ip -n "$a" addr add "$ipa/24" dev "va$tag"
ip -n "$b" addr add "$ipb/24" dev "vb$tag"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$tag" up
ip -n "$b" link set "vb$tag" up

dotnet build src/Sapling.Cli -c Release -v q -nologo -o "$work/cli" >/dev/null
# mpirun's "remote shell": run the daemon's command line inside the namespace that owns the address.
cat > "$work/netns-rsh" <<SH
#!/bin/sh
host=\$1; shift
[ "\$host" = "$ipb" ] && exec ip netns exec "$b" sh -c "\$*"
exec sh -c "\$*"
SH
chmod +x "$work/netns-rsh"
printf '%s slots=1\n%s slots=1\n' "$ipa" "$ipb" > "$work/hosts"
mpi=(mpirun --allow-run-as-root --hostfile "$work/hosts" -np 2 --map-by node --bind-to none
  --mca plm_rsh_agent "$work/netns-rsh" --mca btl tcp,self --mca btl_tcp_if_include "10.77.$subnet.0/24"
  --mca oob_tcp_if_include "10.77.$subnet.0/24" -x TERM=dumb -x OMPI_MCA_mpi_yield_when_idle=1 -x PATH)
[ -n "${DOTNET_ROOT:-}" ] && mpi+=(-x DOTNET_ROOT)
echo "where the ranks run:"
ip netns exec "$a" "${mpi[@]}" sh -c 'echo "rank $OMPI_COMM_WORLD_RANK: namespace $(ip netns identify $$), local ranks $OMPI_COMM_WORLD_LOCAL_SIZE"'
echo "all-reduce between namespaces over TCP (veth):"
ip netns exec "$a" "${mpi[@]}" "$work/cli/sapling" bench allreduce --mb 0.001 1 4 25 100
# Each namespace is one "node" to Open MPI, so each rank would take all the cores; here they share the same two.
echo "data-parallel training of the digits CNN across the namespaces:"
ip netns exec "$a" "${mpi[@]}" "$work/cli/sapling" train configs/digits-cnn.yaml --plain --out "$work/run" \
  --set "train.epochs=$epochs" --set train.patience=null --threads 1 | grep -E "^epoch|data parallel|test accuracy"

# The Tang-poem GPT across the namespaces against one process, dropout off so both see the same computation: with
# TANG_STEPS set (e.g. 300), the per-step training losses of the two runs are compared.
if [ -n "${TANG_STEPS:-}" ]; then
  tang=(configs/tang-char.yaml --plain --set "train.steps=$TANG_STEPS" --set model.dropout=0 --set train.eval_interval=100)
  echo "Tang-poem GPT, $TANG_STEPS steps, across the namespaces:"
  ip netns exec "$a" "${mpi[@]}" "$work/cli/sapling" train "${tang[@]}" --out "$work/tang-2" --threads 1 | grep -E "data parallel|validation loss" || true
  echo "the same, one process:"
  "$work/cli/sapling" train "${tang[@]}" --out "$work/tang-1" | grep -E "validation loss" || true
  /usr/bin/python3 - "$work/tang-1/metrics.jsonl" "$work/tang-2/metrics.jsonl" <<'PY'
import json, sys
def losses(path):
    return {r["step"]: r["loss"] for r in map(json.loads, open(path)) if r.get("kind") == "step"}
one, two = losses(sys.argv[1]), losses(sys.argv[2])
steps = sorted(set(one) & set(two))
worst = max(abs(one[s] - two[s]) for s in steps)
print(f"training loss over {len(steps)} steps: one process {one[steps[0]]:.4f} -> {one[steps[-1]]:.4f}, "
      f"two namespaces {two[steps[0]]:.4f} -> {two[steps[-1]]:.4f}; largest per-step difference {worst:.2e}")
for s in steps[::max(1, len(steps) // 6)] + [steps[-1]]:
    print(f"  step {s:4d}: {one[s]:.5f} vs {two[s]:.5f}")
PY
fi
