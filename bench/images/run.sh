#!/bin/bash
# Decoding and ImageNet preprocessing of the real photographs (tests/real-photos), Sapling against PIL + torchvision,
# alternated rounds in one sitting. Usage: bench/images/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
list=$(mktemp)
# Every photograph of mate-backgrounds and scikit-image's samples (tests/real-photos/fetch.sh installs them).
{ ls /usr/share/backgrounds/mate/*/*.jpg /usr/share/backgrounds/mate/*/*.png 2>/dev/null || true
  ls tests/real-photos/extracted/usr/lib/python3/dist-packages/skimage/data/*.{png,jpg} 2>/dev/null | grep -v truncated.jpg || true; } > "$list"
echo "$(wc -l < "$list") files"
dotnet build bench/images/ImageBench.csproj -c Release -o /tmp/sapling-image-bench > /dev/null
for r in $(seq "$rounds"); do
  /tmp/sapling-image-bench/ImageBench "$list" 2 | tail -1
  /usr/bin/python3 bench/images/peer.py "$list" 2 | tail -1
done
rm -f "$list"
