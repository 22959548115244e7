#!/usr/bin/env bash
# Load test of `sapling serve` on loopback (bench/serve-load.mjs is the client): alternates 1 and 16 concurrent
# streaming clients ROUNDS times for SECONDS each and prints every result as a JSON line, then the medians.
# Usage: bench/serve-load.sh MODEL_DIR [SECONDS] [ROUNDS] [SAPLING_DLL]; SERVE_ARGS adds options to serve (e.g. --threads 1)
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1; seconds=${2:-30}; rounds=${3:-3}
dll=${4:-src/Sapling.Cli/bin/Release/net10.0/sapling.dll}
[ -f "$dll" ] || dotnet build src/Sapling.Cli -c Release >/dev/null
port=$((20000 + RANDOM % 20000))
# shellcheck disable=SC2086
dotnet "$dll" serve --model "$model" --name bench --port "$port" --quiet --max-batch 32 ${SERVE_ARGS:-} 2>/tmp/serve-load-server.log &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
results=$(mktemp)
for r in $(seq "$rounds"); do
  for clients in 1 16; do
    node bench/serve-load.mjs "http://127.0.0.1:$port" bench "$clients" "$seconds" | tee -a "$results"
  done
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def med(clients, key):
    return statistics.median(r[key] for r in rows if r["clients"] == clients)
one, many = med(1, "tokens_per_second"), med(16, "tokens_per_second")
print(f"median tokens/s: 1 client {one:.0f}, 16 clients {many:.0f} (x{many / one:.2f}); "
      f"p99 TTFT 1 client {med(1, 'ttft_p99_s') * 1000:.0f} ms, 16 clients {med(16, 'ttft_p99_s') * 1000:.0f} ms; "
      f"errors {sum(r['errors'] for r in rows)}")
PY
