#!/usr/bin/env bash
# Peak resident memory of `sapling serve` under REQUESTS concurrent completions of TOKENS tokens each (loopback,
# greedy decoding, token-id prompts), with --max-batch BATCH: the issue's bound is weights + BATCH KV caches + 200 MB.
#   bench/serve-memory.sh MODEL_DIR [REQUESTS=20] [TOKENS=1000] [BATCH=16] [SAPLING_EXE]
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1; requests=${2:-20}; tokens=${3:-1000}; batch=${4:-16}
exe=${5:-src/Sapling.Cli/bin/Release/net10.0/sapling}
port=$((20000 + RANDOM % 20000))
"$exe" serve --model "$model" --name m --port "$port" --quiet --max-batch "$batch" --timeout 3600 2>/tmp/serve-memory.log &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
idle=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
start=$(date +%s.%N)
for i in $(seq "$requests"); do
  curl -s "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d "{\"model\": \"m\", \"prompt\": [1, 2, $((i + 2))], \"max_tokens\": $tokens, \"temperature\": 0}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["usage"]["completion_tokens"])' > "/tmp/serve-memory-$i.txt" &
done
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
end=$(date +%s.%N)
generated=$(cat /tmp/serve-memory-*.txt | paste -sd+ | bc)
peak=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
echo "requests $requests x max $tokens tokens, max batch $batch: generated $generated tokens in $(echo "$end - $start" | bc) s;" \
  "server RSS idle $((idle / 1024)) MB, peak $((peak / 1024)) MB"
rm -f /tmp/serve-memory-*.txt
